/** Where a text breaks JSON's grammar, and what was expected there. */
export interface JsonSyntaxError {
  /** Offset of the offending character in UTF-16 code units; the text's length at its end. */
  offset: number;
  /** `expected X, found Y`, where Y is one character or "the end of the file", never more of the text. */
  message: string;
}

interface Scan {
  text: string;
  /** Offset of the next character to read. */
  at: number;
}

/** What the checker reads next: a value, what may follow a value, or nothing more. */
type Next = "value" | "after" | "done";

/**
 * The first place `text` breaks JSON's grammar (RFC 8259: no trailing commas, comments, single quotes or
 * bare words), or null when it is exactly one JSON value. It builds nothing and does not recurse, so deep
 * nesting costs no stack; the caller's own parser reads the data. (V8's JSON.parse gives a position for
 * only some of its errors, and quotes the text around the others.)
 */
export function jsonSyntaxError(text: string): JsonSyntaxError | null {
  const scan: Scan = { text, at: 0 };
  // The closing bracket each open object or array still owes, innermost last.
  const closers: ("}" | "]")[] = [];
  let next: Next | JsonSyntaxError = "value";
  while (typeof next === "string" && next !== "done") {
    skipSpace(scan);
    next = next === "value" ? readValue(scan, closers) : readAfterValue(scan, closers);
  }
  return next === "done" ? null : next;
}

function readValue(scan: Scan, closers: ("}" | "]")[]): Next | JsonSyntaxError {
  const c = scan.text[scan.at];
  if (c === "{" || c === "[") {
    scan.at += 1;
    skipSpace(scan);
    const closer = c === "{" ? "}" : "]";
    if (scan.text[scan.at] === closer) {
      scan.at += 1;
      return "after";
    }
    closers.push(closer);
    return closer === "}" ? readKey(scan, 'a double-quoted key or "}"') : "value";
  }
  if (c === '"') return readString(scan) ?? "after";
  if (c === "-" || isDigit(c)) return readNumber(scan) ?? "after";
  for (const word of ["true", "false", "null"]) {
    if (scan.text.startsWith(word, scan.at)) {
      scan.at += word.length;
      return "after";
    }
  }
  return expected(scan, "a value");
}

function readAfterValue(scan: Scan, closers: ("}" | "]")[]): Next | JsonSyntaxError {
  const closer = closers[closers.length - 1];
  if (closer === undefined) {
    return scan.at === scan.text.length ? "done" : expected(scan, "the end of the file");
  }
  const c = scan.text[scan.at];
  if (c === closer) {
    scan.at += 1;
    closers.pop();
    return "after";
  }
  if (c !== ",") return expected(scan, `"," or "${closer}"`);
  scan.at += 1;
  skipSpace(scan);
  return closer === "}" ? readKey(scan, "a double-quoted key") : "value";
}

/** A key and its colon; then a value is due. */
function readKey(scan: Scan, what: string): Next | JsonSyntaxError {
  if (scan.text[scan.at] !== '"') return expected(scan, what);
  const problem = readString(scan);
  if (problem) return problem;
  skipSpace(scan);
  if (scan.text[scan.at] !== ":") return expected(scan, '":" after the key');
  scan.at += 1;
  return "value";
}

const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

/** A string from its opening quote; null when it is well formed. */
function readString(scan: Scan): JsonSyntaxError | null {
  const { text } = scan;
  scan.at += 1;
  while (scan.at < text.length) {
    const c = text[scan.at]!;
    if (c === '"') {
      scan.at += 1;
      return null;
    }
    if (c < " ") return expected(scan, "an escape such as \\n or \\t in place of a control character");
    if (c === "\\") {
      const problem = readEscape(scan);
      if (problem) return problem;
    } else scan.at += 1;
  }
  return expected(scan, 'a closing "');
}

function readEscape(scan: Scan): JsonSyntaxError | null {
  scan.at += 1;
  const c = scan.text[scan.at];
  if (c !== undefined && ESCAPES.has(c)) {
    scan.at += 1;
    return null;
  }
  if (c !== "u") return expected(scan, 'one of " \\ / b f n r t u after a backslash');
  scan.at += 1;
  for (let i = 0; i < 4; i++) {
    if (!/^[0-9a-fA-F]$/.test(scan.text[scan.at] ?? "")) return expected(scan, "a hexadecimal digit");
    scan.at += 1;
  }
  return null;
}

/** `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`; null when well formed. */
function readNumber(scan: Scan): JsonSyntaxError | null {
  if (scan.text[scan.at] === "-") scan.at += 1;
  if (scan.text[scan.at] === "0") scan.at += 1;
  else if (!readDigits(scan)) return expected(scan, "a digit");
  if (scan.text[scan.at] === ".") {
    scan.at += 1;
    if (!readDigits(scan)) return expected(scan, "a digit after the decimal point");
  }
  if (scan.text[scan.at] === "e" || scan.text[scan.at] === "E") {
    scan.at += 1;
    if (scan.text[scan.at] === "+" || scan.text[scan.at] === "-") scan.at += 1;
    if (!readDigits(scan)) return expected(scan, "a digit in the exponent");
  }
  return null;
}

/** Reads one or more digits; false when there is none. */
function readDigits(scan: Scan): boolean {
  const start = scan.at;
  while (isDigit(scan.text[scan.at])) scan.at += 1;
  return scan.at > start;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

function skipSpace(scan: Scan): void {
  const { text } = scan;
  while (scan.at < text.length) {
    const c = text[scan.at];
    if (c !== " " && c !== "\t" && c !== "\n" && c !== "\r") return;
    scan.at += 1;
  }
}

/** The error at the current offset: what was expected and the one character found instead. */
function expected(scan: Scan, what: string): JsonSyntaxError {
  const code = scan.text.codePointAt(scan.at);
  const found = code === undefined
    ? "the end of the file"
    : code < 0x20 || code === 0x7f
    ? `a control character (U+${code.toString(16).toUpperCase().padStart(4, "0")})`
    : JSON.stringify(String.fromCodePoint(code));
  return { offset: scan.at, message: `expected ${what}, found ${found}` };
}
