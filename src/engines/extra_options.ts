import { z } from "zod";

/** An engine section's `extra`: keyword arguments passed to the engine as they are, unvalidated. */
export const extraOptions = z.record(z.string(), z.unknown()).default({}).describe(
  "further engine keyword arguments passed through unvalidated (names as in the engine's own API)",
);
