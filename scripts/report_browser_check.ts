/**
 * Open an llem report in headless Chromium (Debian's `chromium`, through playwright-core; no browser is
 * downloaded) and print what a reader's browser saw, as JSON: every request the page made, the marks each
 * chart drew, and the byte sizes of a full-page screenshot and of a blank page's. With --screenshot FILE the
 * screenshot is kept (the README's picture of the example report is made so).
 *
 *   deno run -A scripts/report_browser_check.ts REPORT.html [--screenshot FILE] [--chromium PATH]
 *
 * playwright-core probes /proc as it loads, which Deno allows only with --allow-all: hence a script of its own.
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { chromium } from "playwright-core";

const { positionals, values } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { screenshot: { type: "string" }, chromium: { type: "string", default: "/usr/bin/chromium" } },
});
const file = resolve(positionals[0]!);
const browser = await chromium.launch({ executablePath: values.chromium, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  await page.goto(`file://${file}`);
  const charts = await page.$$eval("figure.chart", (figures) =>
    figures.map((figure) => ({
      id: figure.getAttribute("data-chart"),
      marks: figure.querySelectorAll("svg path, svg rect, svg line, svg text").length,
    })));
  const shot = await page.screenshot({ fullPage: true });
  if (values.screenshot) await Deno.writeFile(values.screenshot, shot);
  await page.goto("about:blank");
  const blank = await page.screenshot({ fullPage: true });
  console.log(JSON.stringify({ requests, charts, screenshotBytes: shot.length, blankBytes: blank.length }));
} finally {
  await browser.close();
}
