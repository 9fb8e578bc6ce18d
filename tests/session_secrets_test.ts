/**
 * HF_TOKEN reaches an engine only where it can be used (usableSecrets()): with the network allowed and a
 * model that is not a local folder. A study on in-memory ports, whose session starts record what a real
 * session would have been given.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type FakeWorld, quickExperiment, withFakeStudy } from "./study_runner_fixture.ts";

const SECRET = "hf_secretOfTheSessionTest";

Deno.test("a session is given HF_TOKEN's file only with allow_network and a model it would download", async () => {
  const cases = [
    { model: "org/model", network: false, given: false },
    { model: "org/model", network: true, given: true },
    { model: "./local-model", network: true, given: false },
  ];
  for (const { model, network, given } of cases) {
    const yaml = quickExperiment(`allow_network: ${network}`).replace("model: org/model", `model: ${model}`);
    let world: FakeWorld | null = null;
    let seen: string | null = null;
    await withFakeStudy(yaml, {
      request: { secrets: { HF_TOKEN: SECRET } },
      before: (w) => {
        world = w;
        Deno.mkdirSync(join(w.dir, "local-model"));
      },
      scripts: [{
        // While the session runs, what the harness would read.
        onMessage: () => {
          const path = world!.sessions.starts[0]?.env.LLEM_SECRETS_FILE;
          seen ??= path ? Deno.readTextFileSync(path) : "";
        },
      }],
    }, (outcome, w) => {
      assert.equal(outcome.status, "completed");
      assert.equal(w.sessions.starts.length, 1);
    });
    assert.equal(seen, given ? `HF_TOKEN=${SECRET}\n` : "", `${model}, allow_network: ${network}`);
  }
});
