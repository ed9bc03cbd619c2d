/**
 * Timing: warm-up, alternation between implementations, median of repeated samples.
 *
 * Every implementation of a row is a `Contender`. `measure` warms each one up, then takes
 * `repeats` rounds; in each round every contender runs once, and the order rotates from
 * round to round (A B C, B C A, C A B, ...), so a slow drift of the machine (thermal,
 * another process, GC pressure) lands on all of them alike. The figure kept is the median.
 */
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";

export type Impl = "minigrad" | "tfjs-wasm" | "tfjs-cpu";
export const IMPLS: readonly Impl[] = ["minigrad", "tfjs-wasm", "tfjs-cpu"];

/** One timed run. `ms` is the figure the row reports; `readbackMs` adds copying the result out (TF.js). */
export interface Sample {
  ms: number;
  readbackMs?: number;
}

export interface Contender {
  impl: Impl;
  /** Runs before every sample, untimed (TF.js: make this contender's backend the active one). */
  before?: () => Promise<void>;
  /** One timed run. */
  run: () => Sample;
}

export interface Stats {
  /** Median of the samples, ms. */
  median: number;
  min: number;
  max: number;
  n: number;
  /** Median of the samples with the result read back (TF.js), ms. */
  medianWithReadback?: number;
  samples: number[];
}

export interface MeasureOptions {
  warmup: number;
  repeats: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function stats(samples: readonly number[], withReadback?: readonly number[]): Stats {
  return {
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    n: samples.length,
    ...(withReadback && withReadback.length === samples.length ? { medianWithReadback: median(withReadback) } : {}),
    samples: samples.map((x) => Number(x.toPrecision(6))),
  };
}

/** Warm up every contender, then alternate them for `repeats` rounds; the median per contender. */
export async function measure(contenders: readonly Contender[], { warmup, repeats }: MeasureOptions): Promise<Map<Impl, Stats>> {
  const times = new Map<Impl, number[]>(contenders.map((c) => [c.impl, []]));
  const withReadback = new Map<Impl, number[]>(contenders.map((c) => [c.impl, []]));
  for (let round = 0; round < warmup; round++) {
    for (const c of contenders) {
      await c.before?.();
      c.run();
    }
  }
  for (let round = 0; round < repeats; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(round + k) % contenders.length];
      await c.before?.();
      const s = c.run();
      times.get(c.impl)?.push(s.ms);
      if (s.readbackMs !== undefined) withReadback.get(c.impl)?.push(s.ms + s.readbackMs);
    }
  }
  const out = new Map<Impl, Stats>();
  for (const c of contenders) out.set(c.impl, stats(times.get(c.impl) ?? [], withReadback.get(c.impl)));
  return out;
}

/** Time `fn` once, in ms. */
export function timeOnce(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

let gcFn: (() => void) | null = null;

/**
 * A full garbage collection (V8's `gc`, exposed at run time so no node flag is needed).
 * Called between rows and around heap readings, never inside a timed region.
 */
export function collectGarbage(): void {
  if (gcFn === null) {
    const existing = (globalThis as { gc?: () => void }).gc;
    if (typeof existing === "function") gcFn = existing;
    else {
      setFlagsFromString("--expose-gc");
      gcFn = runInNewContext("gc") as () => void;
    }
  }
  gcFn();
  gcFn();
}
