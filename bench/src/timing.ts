/**
 * Timing: warm-up, alternation between implementations, median of repeated samples.
 *
 * Every implementation of a row is a `Contender`. `measure` warms each one up, then takes
 * `repeats` rounds; in each round every contender runs once, in each of their orders in turn
 * (A B C, A C B, B A C, ...), so a slow drift of the machine (thermal, another process, GC
 * pressure) lands on all of them alike, and each contender runs after each other one equally
 * often: what ran just before (its data in the cache or evicted, its garbage still to
 * collect) weighs on all of them alike. The figure kept is the median.
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
  const orders = allOrders(contenders.length);
  for (let round = 0; round < repeats; round++) {
    for (const k of orders[round % orders.length]) {
      const c = contenders[k];
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

/**
 * Every order of 0..n-1. Over a full cycle of rounds each index directly follows each other
 * one equally often (with A B C rotated only, B would follow A in two rounds of three).
 */
export function allOrders(n: number): number[][] {
  if (n <= 1) return [n === 1 ? [0] : []];
  const out: number[][] = [];
  for (const rest of allOrders(n - 1)) {
    for (let at = 0; at < n; at++) out.push([...rest.slice(0, at), n - 1, ...rest.slice(at)]);
  }
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

/**
 * A full collection, then one turn of the event loop: FinalizationRegistry callbacks (which
 * return the arena blocks of tensors the collector found dead) run only between tasks, and a
 * bench that only awaits microtasks would otherwise carry every earlier row's garbage into the
 * next, as no real program with an event loop does. Never inside a timed region.
 */
export async function settle(): Promise<void> {
  collectGarbage();
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
}
