import assert from "node:assert/strict";
import { join } from "node:path";
import { ParquetWorkspace } from "./parquet_workspace.ts";
import { readParquetRows } from "./read_parquet.ts";
import { writeRequestsParquet } from "./requests_parquet.ts";

const requests = Array.from({ length: 3 }, (_, index) => ({
  index,
  input_tokens: 16,
  output_tokens: 8 + index,
  start_s: 10,
  first_token_s: 10.01,
  end_s: 10.05 + index,
}));

Deno.test("files written through one study DuckDB equal files written each with its own", async () => {
  const dir = Deno.makeTempDirSync();
  const workspace = new ParquetWorkspace();
  try {
    const options = { windowStartHarnessSeconds: 10, kvMetadata: { experiment_id: "x" } };
    Deno.mkdirSync(join(dir, "study", "run1"), { recursive: true });
    Deno.mkdirSync(join(dir, "study", "run2"), { recursive: true });
    await writeRequestsParquet(join(dir, "alone.parquet"), requests, options);
    for (const run of ["run1", "run2"]) {
      await writeRequestsParquet(join(dir, "study", run, "requests.parquet"), requests, {
        ...options,
        workspace,
      });
    }
    const alone = await readParquetRows(join(dir, "alone.parquet"));
    for (const run of ["run1", "run2"]) {
      assert.deepEqual(await readParquetRows(join(dir, "study", run, "requests.parquet")), alone, run);
    }
    await workspace.close();
    await workspace.close(); // twice is fine
    // Nothing of DuckDB's is left in the study folder: no spill folder, no temporary file.
    assert.deepEqual([...Deno.readDirSync(join(dir, "study"))].map((e) => e.name).sort(), ["run1", "run2"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
