import assert from "node:assert/strict";
import { parquetMetadata, parquetSchema } from "hyparquet";
import { syntheticSamples, taggedSampleFixture } from "../../tests/tagged_sample_fixture.ts";
import { readParquetMetadata, readParquetRows } from "./read_parquet.ts";
import { writeTimeseriesParquet } from "./timeseries_parquet.ts";
import { inTempDir } from "../../tests/in_temp_dir.ts";

const START = 1_780_000_000;
const GPUS = new Map([["GPU-a", 0], ["GPU-b", 3]]);
const KV = {
  experiment_id: "001_c0_gpt2-transformers_0123456789abcdef",
  measurement_config_hash: "0123456789abcdef",
};

const COLUMNS = [
  "t",
  "gpu_idx",
  "power_w",
  "temperature_c",
  "memory_used_mib",
  "sm_clock_mhz",
  "gpu_uuid",
  "phase",
  "energy_j",
  "memory_clock_mhz",
  "utilization_gpu_pct",
  "utilization_memory_pct",
  "clock_event_reasons",
  "power_source",
  "error_count",
];

Deno.test(
  "writeTimeseriesParquet() round-trips values, nulls and reason bits, sorted by t then gpu_idx",
  inTempDir(async (dir) => {
    const path = `${dir}/timeseries.parquet`;
    const nulls = taggedSampleFixture({
      uuid: "GPU-a",
      timeSeconds: START + 0.2,
      phase: "warmup",
      energyJoules: null,
      powerWatts: null,
      powerSource: null,
      temperatureCelsius: null,
      memoryUsedBytes: null,
      smClockMhz: null,
      memoryClockMhz: null,
      utilizationGpuPercent: null,
      utilizationMemoryPercent: null,
      clockEventReasons: null,
      errorCount: 9,
    });
    const full = taggedSampleFixture({
      uuid: "GPU-b",
      timeSeconds: START + 0.1,
      memoryUsedBytes: 1536 * 1024 * 1024,
      powerSource: "power_usage",
      clockEventReasons: (1n << 63n) | 0x48n, // every bit of a UBIGINT survives
    });
    const sameTimeLowerGpu = taggedSampleFixture({
      uuid: "GPU-a",
      timeSeconds: START + 0.1,
      phase: "baseline",
    });
    await writeTimeseriesParquet(path, [nulls, full, sameTimeLowerGpu], {
      experimentStartSeconds: START,
      gpuIndexByUuid: GPUS,
      kvMetadata: KV,
    });
    const rows = await readParquetRows(path);
    assert.deepEqual(rows.map((row) => [row.gpu_uuid, row.gpu_idx, row.phase]), [
      ["GPU-a", 0, "baseline"],
      ["GPU-b", 3, "measure"],
      ["GPU-a", 0, "warmup"],
    ]);
    assert.deepEqual(rows[1], {
      t: full.timeSeconds - START,
      gpu_idx: 3,
      power_w: 312.5,
      temperature_c: 54,
      memory_used_mib: 1536,
      sm_clock_mhz: 1980,
      gpu_uuid: "GPU-b",
      phase: "measure",
      energy_j: 123_456.789,
      memory_clock_mhz: 2619,
      utilization_gpu_pct: 97,
      utilization_memory_pct: 61,
      clock_event_reasons: (1n << 63n) | 0x48n,
      power_source: "power_usage",
      error_count: 0,
    });
    assert.deepEqual(rows[2], {
      t: nulls.timeSeconds - START,
      gpu_idx: 0,
      power_w: null,
      temperature_c: null,
      memory_used_mib: null,
      sm_clock_mhz: null,
      gpu_uuid: "GPU-a",
      phase: "warmup",
      energy_j: null,
      memory_clock_mhz: null,
      utilization_gpu_pct: null,
      utilization_memory_pct: null,
      clock_event_reasons: null,
      power_source: null,
      error_count: 9,
    });
    const metadata = await readParquetMetadata(path);
    assert.deepEqual(metadata, {
      numRows: 3,
      kvMetadata: { ...KV, experiment_start_unix_s: String(START) },
      columns: COLUMNS,
      codecs: ["ZSTD"],
    });
  }),
);

Deno.test(
  "writeTimeseriesParquet() writes schema 4.0's physical types: float64 t, int32 gpu_idx, uint64 reasons",
  inTempDir(async (dir) => {
    const path = `${dir}/timeseries.parquet`;
    await writeTimeseriesParquet(path, [], {
      experimentStartSeconds: START,
      gpuIndexByUuid: GPUS,
      kvMetadata: KV,
    });
    const schema = parquetSchema(parquetMetadata(Deno.readFileSync(path).buffer));
    const types = Object.fromEntries(
      schema.children.map((
        child,
      ) => [child.element.name, [child.element.type, child.element.converted_type ?? null]]),
    );
    assert.deepEqual(types.t, ["DOUBLE", null]);
    assert.deepEqual(types.gpu_idx, ["INT32", "INT_32"]);
    assert.deepEqual(types.memory_used_mib, ["DOUBLE", null]);
    assert.deepEqual(types.sm_clock_mhz, ["DOUBLE", null]);
    assert.deepEqual(types.gpu_uuid, ["BYTE_ARRAY", "UTF8"]);
    assert.deepEqual(types.clock_event_reasons, ["INT64", "UINT_64"]);
    assert.deepEqual(types.error_count, ["INT32", "INT_32"]);
    const metadata = await readParquetMetadata(path);
    assert.deepEqual([metadata.numRows, metadata.columns], [0, COLUMNS]);
    assert.equal(metadata.kvMetadata.measurement_config_hash, KV.measurement_config_hash);
    assert.deepEqual(await readParquetRows(path), []);
  }),
);

Deno.test(
  "writeTimeseriesParquet() with no samples and no GPUs still writes the full schema",
  inTempDir(async (dir) => {
    const path = `${dir}/timeseries.parquet`;
    await writeTimeseriesParquet(path, [], {
      experimentStartSeconds: START,
      gpuIndexByUuid: new Map(),
      kvMetadata: KV,
    });
    assert.deepEqual((await readParquetMetadata(path)).columns, COLUMNS);
  }),
);

Deno.test(
  "writeTimeseriesParquet() refuses a sample of a GPU it has no index for, and writes nothing",
  inTempDir(async (dir) => {
    const path = `${dir}/timeseries.parquet`;
    await assert.rejects(
      writeTimeseriesParquet(path, [taggedSampleFixture({ uuid: "GPU-z" })], {
        experimentStartSeconds: START,
        gpuIndexByUuid: GPUS,
        kvMetadata: KV,
      }),
      /Cannot write ".*timeseries\.parquet": a sample is of GPU "GPU-z", which is not among the experiment's GPUs \("GPU-a", "GPU-b"\)/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  }),
);

Deno.test(
  "writeTimeseriesParquet() writes 100,000 samples of two GPUs in order with every value",
  inTempDir(async (dir) => {
    const path = `${dir}/timeseries.parquet`;
    const samples = syntheticSamples(50_000, {
      uuids: ["GPU-a", "GPU-b"],
      startSeconds: START,
      intervalSeconds: 0.1,
    });
    await writeTimeseriesParquet(path, samples.toReversed(), {
      experimentStartSeconds: START,
      gpuIndexByUuid: GPUS,
      kvMetadata: KV,
    });
    assert.equal((await readParquetMetadata(path)).numRows, 100_000);
    const rows = await readParquetRows(path, { columns: ["t", "gpu_idx", "power_w", "clock_event_reasons"] });
    assert.equal(rows.length, 100_000);
    assert.deepEqual(Object.keys(rows[0]!), ["t", "gpu_idx", "power_w", "clock_event_reasons"]);
    for (let i = 1; i < rows.length; i++) {
      const [previous, current] = [rows[i - 1]!, rows[i]!];
      assert.ok((previous.t as number) <= (current.t as number), `row ${i} is out of order`);
    }
    const powerSum = rows.reduce((sum, row) => sum + (row.power_w as number), 0);
    const expectedSum = samples.reduce((sum, sample) => sum + sample.powerWatts!, 0);
    assert.ok(Math.abs(powerSum - expectedSum) < 1e-6 * expectedSum);
    assert.equal(rows.filter((row) => row.clock_event_reasons === 0x20n).length, 2 * 1000);
    assert.equal(rows.at(-1)!.t, samples.at(-1)!.timeSeconds - START);
  }),
);
