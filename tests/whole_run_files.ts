/** A completed run's files as llem writes them, for tests of what a resume keeps and what it runs again. */
import { buildExperimentResult } from "../src/results/build_experiment_result.ts";
import type { ManifestRun } from "../src/results/manifest_schema.ts";
import { writeRequestsParquet } from "../src/results/requests_parquet.ts";
import { EFFECTIVE_CONFIG_FILE, REQUESTS_FILE, RESULT_FILE } from "../src/results/study_layout.ts";
import {
  doneFixture,
  experimentMeasurementFixture,
  fixtureConfig,
} from "./experiment_measurement_fixture.ts";

/** Write `run`'s folder in `studyDir`: a valid result of that run, its config and a real requests.parquet. */
export async function writeWholeRun(studyDir: string, run: ManifestRun): Promise<string> {
  const dir = `${studyDir}/${run.dir}`;
  Deno.mkdirSync(dir, { recursive: true });
  const result = buildExperimentResult(experimentMeasurementFixture({
    experimentId: run.dir,
    measurementConfigHash: run.measurement_config_hash,
    cycle: run.cycle,
    timeseriesFile: null,
  }));
  Deno.writeTextFileSync(`${dir}/${RESULT_FILE}`, JSON.stringify(result));
  Deno.writeTextFileSync(`${dir}/${EFFECTIVE_CONFIG_FILE}`, JSON.stringify(fixtureConfig()));
  const done = doneFixture();
  await writeRequestsParquet(`${dir}/${REQUESTS_FILE}`, done.requests, {
    windowStartHarnessSeconds: done.started_s,
    kvMetadata: { experiment_id: run.dir },
  });
  return dir;
}
