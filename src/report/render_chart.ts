import * as vega from "vega";
import * as vegaLite from "vega-lite";
import type { ChartSpec } from "./report_charts.ts";

/**
 * A Vega-Lite chart rendered to a static SVG at report time (Vega's own renderer, headless): the report
 * needs no script to show it. Data is inline in the spec; nothing is loaded.
 */
export async function renderChartSvg(spec: ChartSpec): Promise<string> {
  // Specs are built by report_charts.ts as plain data; Vega-Lite checks them as it compiles.
  const compiled = vegaLite.compile(spec as unknown as vegaLite.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
