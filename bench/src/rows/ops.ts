/**
 * Single ops on big float32 tensors: elementwise add, mul, relu, exp, tanh and a full sum
 * over 1e6 elements, and a 512x512 matmul (in GFLOP/s) on one core and on two.
 *
 * TF.js times stop when the op returns: both backends here compute synchronously, so the
 * result is complete by then. Reading it back into JS (`dataSync`, a 4 MB copy out of
 * wasm memory for 1e6 floats) is timed separately and recorded as `valueWithReadback`;
 * `--readback` puts that figure in the table. A sum returns one number, which every
 * implementation reads back inside the timing (minigrad with `.item()`).
 */
import type { Tensor } from "@minigrad/tensor";
import type { Config } from "../cli";
import { maxRelDiff, mgTensor, randnF32, tfTensor } from "../data";
import { finishRow, measureRow, plannedImpls, tfBackendOf, type RowResult, type RowSpec } from "../row";
import { tf, useBackend } from "../tfjs";
import type { Contender, Impl } from "../timing";

const N = 1_000_000;

interface OpCase {
  spec: RowSpec;
  /** number of inputs: 1 (unary, reduction: `b` is `a` and unused) or 2 */
  arity: 1 | 2;
  mg: (a: Tensor, b: Tensor) => Tensor;
  tf: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  /** the output is one number, read back inside the timing by every implementation */
  scalarOut: boolean;
  /** max relative difference accepted between minigrad and TF.js results */
  tolerance: number;
  /** how the row is measured, when not as a 1e6-element op by `opRows` */
  row?: (cfg: Config) => Promise<RowResult>;
  /**
   * "pytorch": minigrad's result is dropped, never disposed, as PyTorch code does (only the
   * garbage collector can free it); its row id is the op's with ":gc". Otherwise each result
   * is disposed before the next run, as TF.js's always is.
   */
  style?: "pytorch";
}

/** The disposed op's row again, run PyTorch-style (see OpCase.style). */
function pytorchStyle(c: OpCase): OpCase {
  return {
    ...c,
    style: "pytorch",
    spec: { ...c.spec, id: `${c.spec.id}:gc`, label: `${c.spec.label}, no dispose`, reference: undefined },
  };
}

/** How much slower the PyTorch-style row may be than the disposed one (issue 13). */
const PYTORCH_STYLE_MAX = 1.5;

const elementwise = (id: string, label: string, factor: number, targetText: string, extra: Partial<OpCase> & Pick<OpCase, "mg" | "tf" | "arity">, reference?: RowSpec["reference"]): OpCase => ({
  spec: {
    id, label, unit: "ms", better: "lower", heavy: false,
    target: { kind: "speedVs", impl: "tfjs-wasm", factor }, targetText, reference,
  },
  scalarOut: false,
  tolerance: 1e-5,
  ...extra,
});

const MM = 512;
const matmulCase: OpCase = {
  spec: {
    id: "matmul512", label: "matmul 512x512 float32", unit: "GFLOP/s", better: "higher", heavy: true, quickSkipsCpu: true,
    target: { kind: "speedVs", impl: "tfjs-wasm", factor: 1.2 }, targetText: ">= 1.2x TF.js wasm",
    reference: { pytorch: 97, tfjsWasm: 34, tfjsCpu: 1.1, jsPytorch: 0.57, plainJs: 4.8 },
  },
  arity: 2,
  mg: (a, b) => a.matmul(b),
  tf: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
  scalarOut: false,
  tolerance: 1e-3,
};

/**
 * The same product split across both cores (minigrad's worker thread over shared wasm memory;
 * TF.js wasm stays on one thread: it turns wasm threads off under Node). Listed in OP_CASES
 * (after sum), so that `opRows` runs it with its own `row`.
 */
const matmul2Case: OpCase = {
  ...matmulCase,
  spec: {
    ...matmulCase.spec,
    id: "matmul512x2", label: "matmul 512x512 float32, 2 cores",
    target: { kind: "speedVs", impl: "tfjs-wasm", factor: 2 }, targetText: ">= 2x TF.js wasm",
    reference: undefined,
  },
};

/**
 * minigrad shares float32 products of >= 2^22 multiply-adds between two threads where it can
 * (kernels/wasm/threads.ts); MINIGRAD_MATMUL_THREADS=1 turns that off. The environment
 * variable is read per product, so each row sets it for its own runs.
 */
async function withMatmulThreads<T>(threads: "1" | "2", f: () => Promise<T>): Promise<T> {
  const before = process.env.MINIGRAD_MATMUL_THREADS;
  process.env.MINIGRAD_MATMUL_THREADS = threads;
  try {
    return await f();
  } finally {
    if (before === undefined) delete process.env.MINIGRAD_MATMUL_THREADS;
    else process.env.MINIGRAD_MATMUL_THREADS = before;
  }
}

export async function matmulRow(cfg: Config): Promise<RowResult> {
  const flops = 2 * MM * MM * MM;
  return withMatmulThreads("1", () => opRow(cfg, matmulCase, [MM, MM], 2000, (ms) => flops / (ms * 1e6)));
}

export async function matmul2Row(cfg: Config): Promise<RowResult> {
  const flops = 2 * MM * MM * MM;
  return withMatmulThreads("2", () => opRow(cfg, matmul2Case, [MM, MM], 2000, (ms) => flops / (ms * 1e6)));
}

export const OP_CASES: OpCase[] = [
  elementwise("add", "a + b, 1e6 float32", 1, ">= 1x TF.js wasm", { arity: 2, mg: (a, b) => a.add(b), tf: (a, b) => tf.add(a, b) },
    { pytorch: 0.16, tfjsWasm: 0.15, tfjsCpu: 6.3, jsPytorch: 68, plainJs: 0.63 }),
  elementwise("mul", "a * b, 1e6 float32", 1, ">= 1x TF.js wasm", { arity: 2, mg: (a, b) => a.mul(b), tf: (a, b) => tf.mul(a, b) }),
  elementwise("relu", "relu, 1e6 float32", 1, ">= 1x TF.js wasm", { arity: 1, mg: (a) => a.relu(), tf: (a) => tf.relu(a) }),
  elementwise("exp", "exp, 1e6 float32", 2, ">= 2x TF.js wasm", { arity: 1, mg: (a) => a.exp(), tf: (a) => tf.exp(a), tolerance: 1e-4 },
    { pytorch: 0.44, tfjsWasm: 7.1, tfjsCpu: 24, jsPytorch: 106, plainJs: 9.1 }),
  elementwise("tanh", "tanh, 1e6 float32", 2, ">= 2x TF.js wasm", { arity: 1, mg: (a) => a.tanh(), tf: (a) => tf.tanh(a), tolerance: 1e-4 }),
  elementwise("sum", "sum, 1e6 float32 (to one number)", 1, ">= 1x TF.js wasm",
    { arity: 1, mg: (a) => a.sum(), tf: (a) => tf.sum(a), scalarOut: true, tolerance: 1e-3 },
    { pytorch: 0.054, tfjsWasm: 0.62, tfjsCpu: 0.96, jsPytorch: 12.2, plainJs: 0.31 }),
  // Here rather than in suite.ts's list, which this row was added without editing.
  { ...matmul2Case, row: matmul2Row },
];
// Each elementwise op again, PyTorch-style (issue 13: speed must not depend on dispose).
OP_CASES.push(...OP_CASES.filter((c) => ["add", "mul", "relu", "exp", "tanh"].includes(c.spec.id)).map(pytorchStyle));

/**
 * Values of a minigrad result, copied (toTypedArray): reading `storage` would hand the arena
 * block out, and a handed-out block is left to the collector rather than reused after dispose.
 */
function mgValues(t: Tensor): ArrayLike<number> {
  return t.toTypedArray();
}

async function opRow(cfg: Config, c: OpCase, shape: readonly number[], seed: number, toValue: (ms: number) => number): Promise<RowResult> {
  const n = shape.reduce((x, y) => x * y, 1);
  const aData = randnF32(n, seed);
  const bData = c.arity === 2 ? randnF32(n, seed + 1) : null;
  const { run, skipped } = plannedImpls(cfg, c.spec);
  const contenders: Contender[] = [];
  const results = new Map<Impl, ArrayLike<number>>();
  const owned: tf.Tensor[] = [];

  for (const impl of run) {
    if (impl === "minigrad") {
      const a = mgTensor(aData, shape);
      const b = bData === null ? a : mgTensor(bData, shape);
      contenders.push({
        impl,
        run: () => {
          const t0 = performance.now();
          const r = c.mg(a, b);
          if (c.scalarOut) r.item();
          const ms = performance.now() - t0;
          // As TF.js's run below: read the values out (untimed here; TF.js's dataSync is timed
          // apart as its readback), then dispose the result, so the next run's output reuses
          // the same memory (minigrad's arena block, TF.js's freed wasm heap).
          results.set(impl, c.scalarOut ? [r.item()] : Float32Array.from(mgValues(r)));
          if (c.style !== "pytorch") r.dispose();
          return { ms };
        },
      });
    } else {
      const backend = tfBackendOf(impl);
      const a = await tfTensor(backend, aData, shape);
      const b = bData === null ? a : await tfTensor(backend, bData, shape);
      owned.push(...new Set([a, b]));
      contenders.push({
        impl,
        before: () => useBackend(backend),
        run: () => {
          const t0 = performance.now();
          const r = c.tf(a, b);
          if (c.scalarOut) {
            const v = r.dataSync();
            const ms = performance.now() - t0;
            results.set(impl, v);
            r.dispose();
            return { ms };
          }
          const t1 = performance.now();
          const v = r.dataSync();
          const t2 = performance.now();
          results.set(impl, v);
          r.dispose();
          return { ms: t1 - t0, readbackMs: t2 - t1 };
        },
      });
    }
  }
  try {
    const { cells } = await measureRow(cfg, c.spec, contenders, toValue, skipped);
    const notes: string[] = [];
    const check: Record<string, number> = {};
    const mg = results.get("minigrad");
    for (const impl of ["tfjs-wasm", "tfjs-cpu"] as const) {
      const other = results.get(impl);
      if (mg === undefined || other === undefined) continue;
      const d = maxRelDiff(mg, other);
      check[impl] = d;
      if (!(d <= c.tolerance)) notes.push(`${c.spec.id}: results differ from ${impl}: max relative difference ${d.toExponential(2)}`);
    }
    if (!c.scalarOut) {
      notes.push(cfg.readback ? "TF.js figures include reading the result back (dataSync)" : "TF.js figures exclude the result's readback (dataSync); see --readback");
    }
    return finishRow(c.spec, cells, notes, { shape, maxRelDiffVsMinigrad: check });
  } finally {
    tf.dispose(owned);
  }
}

export async function opRows(cfg: Config, want: (id: string) => boolean, onRow: (r: RowResult) => void): Promise<void> {
  const disposed = new Map<string, number>(); // minigrad's figure of each disposed op row
  for (const c of OP_CASES) {
    if (!want(c.spec.id)) continue;
    // the PyTorch-style row of an op uses the same data as its disposed row
    const seed = 1000 + 10 * OP_CASES.findIndex((o) => o.spec.id === c.spec.id.replace(/:gc$/, ""));
    const r = c.row !== undefined ? await c.row(cfg) : await opRow(cfg, c, [N], seed, (ms) => ms);
    const mg = r.cells.minigrad.kind === "value" ? r.cells.minigrad.value : NaN;
    if (c.style === "pytorch") {
      const base = disposed.get(c.spec.id.replace(/:gc$/, ""));
      if (base !== undefined) {
        const x = mg / base;
        r.notes.push(`${c.spec.id}: ${x.toFixed(2)}x the disposed figure (${base.toPrecision(3)} ms); at most ${PYTORCH_STYLE_MAX}x: ${x <= PYTORCH_STYLE_MAX ? "PASS" : "MISS"}`);
        r.extra.vsDisposed = x;
      }
    } else {
      disposed.set(c.spec.id, mg);
    }
    onRow(r);
  }
}
