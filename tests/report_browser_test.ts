/**
 * `llem report` opened in a real headless Chromium (Debian's `chromium`, driven by playwright-core in
 * scripts/report_browser_check.ts; no browser is downloaded): the page makes no request beyond its own file,
 * every chart rendered marks, and the screenshot is not blank. Shown as skipped where no Chromium is
 * installed (.ci/run installs it).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { run, twoByTwoStudy, withMeasuredStudy } from "./study_fixture.ts";

const repo = new URL("../", import.meta.url).pathname;

const executablePath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}) ?? null;

Deno.test({
  name: `${executablePath ? "" : "SKIPPED (no chromium; apt-get install chromium): "}` +
    "llem report opens offline in Chromium: no request leaves the page, every chart has marks, not blank",
  ignore: executablePath === null,
  async fn() {
    await withMeasuredStudy(twoByTwoStudy("report"), async (study, dir) => {
      const file = join(study.dir, "report.html");
      const made = await run(["report", dir, "-o", file], study);
      assert.equal(made.code, 0, made.stderr);
      const checked = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${repo}scripts/report_browser_check.ts`, file, "--chromium", executablePath!],
        stdout: "piped",
        stderr: "piped",
      }).outputSync();
      const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
      assert.ok(checked.success, text(checked.stderr));
      const seen = JSON.parse(text(checked.stdout).trim().split("\n").at(-1)!);
      assert.deepEqual(seen.requests, [`file://${file}`], "the report loads nothing but itself");
      assert.deepEqual(seen.charts.map((c: { id: string }) => c.id), [
        "energy-per-token",
        "pareto-tok_per_s",
        "pareto-itl_p50_ms",
        "power",
        "ttft-cdf",
        "tpot-cdf",
        "e2e-cdf",
        "response-energy",
      ]);
      for (const chart of seen.charts) assert.ok(chart.marks > 20, `${chart.id} drew ${chart.marks} marks`);
      assert.ok(
        seen.screenshotBytes > 10 * seen.blankBytes,
        `screenshot ${seen.screenshotBytes} bytes, blank ${seen.blankBytes}`,
      );
    });
  },
});
