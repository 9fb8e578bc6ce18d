/** Power traces of the NVML stand-in's scenarios, with their exact energy, for the benchmarks. */

/** A scenario line, the exact energy it draws over [a, b], and its highest power. */
export interface Trace {
  name: string;
  scenario: string;
  /** Exact energy over [a, b], joules (computed here, independently of the C code). */
  exact(a: number, b: number): number;
  maxWatts: number;
}

export const square: Trace = {
  name: "square 100/300 W, 1 s",
  scenario: "gpu.0.power = square:100:300:1",
  exact(a, b) {
    // Integral of the square wave from 0 to t: 200 W per full period, plus the partial period.
    const upTo = (t: number) => {
      const periods = Math.floor(t);
      const within = t - periods;
      return periods * 200 + Math.min(within, 0.5) * 300 + Math.max(0, within - 0.5) * 100;
    };
    return upTo(b) - upTo(a);
  },
  maxWatts: 300,
};

export const ramp: Trace = {
  name: "ramp 100->400 W over 20 s",
  scenario: "gpu.0.power = ramp:100:400:20",
  exact(a, b) {
    const upTo = (t: number) => t <= 20 ? 100 * t + 7.5 * t * t : 100 * 20 + 7.5 * 400 + 400 * (t - 20);
    return upTo(b) - upTo(a);
  },
  maxWatts: 400,
};
