/**
 * A row of the report: one piece of work, its figure for each implementation, the target
 * from issue 6, minigrad's speed relative to each TF.js backend, and PASS/MISS.
 */
import type { Config } from "./cli";
import { backendOf, tf } from "./tfjs";
import { IMPLS, measure, settle, type Contender, type Impl, type Stats } from "./timing";

export type Better = "lower" | "higher";

/** What minigrad must reach. `speedVs`: at least `factor` times as fast as `impl`. */
export type Target =
  | { kind: "atMost"; value: number }
  | { kind: "atLeast"; value: number }
  | { kind: "speedVs"; impl: Exclude<Impl, "minigrad">; factor: number }
  | { kind: "none" };

export type Cell =
  /**
   * `value` is the figure shown and judged. Where the result can be read back separately
   * (TF.js), `opOnly` and `withReadback` hold both figures and `value` is one of them.
   */
  | { kind: "value"; value: number; stats?: Stats; opOnly?: number; withReadback?: number }
  | { kind: "skipped"; reason: string }
  | { kind: "error"; message: string };

export type Status = "PASS" | "MISS" | "n/a";

/** The reference figures for a row (same unit as the row), where it has them. */
export interface Reference {
  pytorch?: number;
  tfjsWasm?: number;
  tfjsCpu?: number;
  jsPytorch?: number;
  plainJs?: number;
}

export interface RowSpec {
  id: string;
  label: string;
  unit: string;
  better: Better;
  target: Target;
  targetText: string;
  /** heavy rows get fewer repeats */
  heavy: boolean;
  /** the heaviest rows: no TF.js cpu figure in --quick (it alone would take seconds) */
  quickSkipsCpu?: boolean;
  /** false where a speed ratio means nothing (memory growth) */
  ratios?: boolean;
  /** warm-up runs for this row outside --quick, when the default is too few to reach steady state */
  warmup?: number;
  reference?: Reference;
}

export interface RowResult extends RowSpec {
  cells: Record<Impl, Cell>;
  /** minigrad's speed relative to each backend: > 1 means minigrad is faster. */
  ratio: { vsWasm: number | null; vsCpu: number | null };
  status: Status;
  notes: string[];
  extra: Record<string, unknown>;
}

export interface Counts {
  warmup: number;
  repeats: number;
}

export function countsFor(cfg: Config, heavy: boolean, rowWarmup?: number): Counts {
  const base = cfg.quick ? (heavy ? { warmup: 2, repeats: 5 } : { warmup: 3, repeats: 9 }) : heavy ? { warmup: rowWarmup ?? 3, repeats: 15 } : { warmup: rowWarmup ?? 10, repeats: 31 };
  return { warmup: cfg.warmup ?? base.warmup, repeats: cfg.repeats ?? base.repeats };
}

/** Which implementations a row runs, and why the others do not. */
export function plannedImpls(cfg: Config, spec: RowSpec): { run: Impl[]; skipped: Partial<Record<Impl, string>> } {
  if (cfg.quick && spec.quickSkipsCpu === true) return { run: ["minigrad", "tfjs-wasm"], skipped: { "tfjs-cpu": "skipped in --quick (heaviest rows)" } };
  return { run: [...IMPLS], skipped: {} };
}

/** Minigrad's speed relative to another figure of the same row (> 1: minigrad faster). */
export function speedRatio(better: Better, mg: number, other: number): number {
  return better === "lower" ? other / mg : mg / other;
}

function valueOf(cell: Cell | undefined): number | null {
  return cell?.kind === "value" && Number.isFinite(cell.value) ? cell.value : null;
}

export function finishRow(spec: RowSpec, cells: Partial<Record<Impl, Cell>>, notes: string[] = [], extra: Record<string, unknown> = {}): RowResult {
  const full = {} as Record<Impl, Cell>;
  for (const impl of IMPLS) full[impl] = cells[impl] ?? { kind: "skipped", reason: "not measured" };
  const mg = valueOf(full.minigrad);
  const wasm = valueOf(full["tfjs-wasm"]);
  const cpu = valueOf(full["tfjs-cpu"]);
  const compare = spec.ratios !== false && mg !== null;
  const ratio = {
    vsWasm: compare && mg !== null && wasm !== null ? speedRatio(spec.better, mg, wasm) : null,
    vsCpu: compare && mg !== null && cpu !== null ? speedRatio(spec.better, mg, cpu) : null,
  };
  let status: Status = "n/a";
  const t = spec.target;
  if (mg !== null) {
    if (t.kind === "atMost") status = mg <= t.value ? "PASS" : "MISS";
    else if (t.kind === "atLeast") status = mg >= t.value ? "PASS" : "MISS";
    else if (t.kind === "speedVs") {
      const r = t.impl === "tfjs-wasm" ? ratio.vsWasm : ratio.vsCpu;
      if (r !== null) status = r >= t.factor ? "PASS" : "MISS";
    }
  }
  return { ...spec, cells: full, ratio, status, notes, extra };
}

/**
 * Measure the contenders of one row (alternating, warm-up, median), turning a contender
 * that throws into an `error` cell rather than ending the run. `toValue` converts a
 * median time in ms into the row's unit.
 */
export async function measureRow(
  cfg: Config,
  spec: RowSpec,
  contenders: readonly Contender[],
  toValue: (ms: number) => number,
  skipped: Partial<Record<Impl, string>> = {},
): Promise<{ cells: Partial<Record<Impl, Cell>>; stats: Map<Impl, Stats> }> {
  const counts = countsFor(cfg, spec.heavy, spec.warmup);
  const cells: Partial<Record<Impl, Cell>> = {};
  for (const [impl, reason] of Object.entries(skipped) as [Impl, string][]) cells[impl] = { kind: "skipped", reason };
  const working: Contender[] = [];
  for (const c of contenders) {
    try {
      await c.before?.();
      c.run(); // the first warm-up run, and a check that it runs at all
      working.push(c);
    } catch (e) {
      cells[c.impl] = { kind: "error", message: e instanceof Error ? e.message : String(e) };
    }
  }
  await settle();
  const stats = await measure(working, { warmup: Math.max(0, counts.warmup - 1), repeats: counts.repeats });
  for (const [impl, s] of stats) {
    if (s.medianWithReadback === undefined) {
      cells[impl] = { kind: "value", value: toValue(s.median), stats: s };
    } else {
      const opOnly = toValue(s.median);
      const withReadback = toValue(s.medianWithReadback);
      cells[impl] = { kind: "value", value: cfg.readback ? withReadback : opOnly, stats: s, opOnly, withReadback };
    }
  }
  return { cells, stats };
}

/** The TF.js backend an implementation runs on, or throws for minigrad. */
export function tfBackendOf(impl: Impl): "wasm" | "cpu" {
  const b = backendOf(impl);
  if (b === null) throw new Error(`${impl} is not a TF.js implementation`);
  return b;
}

/** Live TF.js tensors now (the bench disposes everything it makes; a growing count is a leak). */
export function liveTfTensors(): number {
  return tf.memory().numTensors;
}
