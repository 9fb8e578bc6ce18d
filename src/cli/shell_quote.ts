/** Characters a POSIX shell takes literally in an unquoted word. */
const PLAIN_WORD = /^[A-Za-z0-9_\/.,:=@%+-]+$/;

/**
 * One word as a POSIX shell reads it back: unchanged when it has nothing the shell would interpret, else
 * in single quotes, each `'` written as `'\''` (close, an escaped quote, reopen).
 */
export function shellQuote(word: string): string {
  return PLAIN_WORD.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
