import { UsageError } from "../src/errors/usage_error.ts";

/** The message and hint of the UsageError `fn` throws; any other outcome fails the test. */
export function usageErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return `${error.message}\nhint: ${error.hint}`;
    throw error;
  }
  throw new Error("expected a UsageError");
}
