/**
 * Per-op overhead, where the arithmetic is nothing and the bookkeeping is everything:
 *  - tiny ops: a chain of 1,000 ops (add, mul, tanh in turn) on 4-element tensors, no
 *    gradient, in ns per op; TF.js inside one tf.tidy, the result read back at the end;
 *  - a micrograd-style graph of 10,000 scalar ops (mul, add, tanh in turn on 0-d tensors)
 *    built and backpropagated: minigrad through .backward(), TF.js through tf.grads.
 */
import { tensor, type Tensor } from "@minigrad/tensor";
import type { Config } from "../cli";
import { maxRelDiff } from "../data";
import { countsFor, finishRow, measureRow, plannedImpls, tfBackendOf, type RowResult, type RowSpec } from "../row";
import { tf, useBackend } from "../tfjs";
import { median, type Contender } from "../timing";

const TINY_OPS = 1000;
const TINY_A = new Float32Array([0.1, -0.2, 0.3, -0.4]);
const TINY_B = new Float32Array([0.5, 0.25, -0.125, 0.75]);

const tinySpec: RowSpec = {
  id: "tinyOp",
  label: "tiny op ([4] add/mul/tanh), per op",
  unit: "ns/op",
  better: "lower",
  target: { kind: "speedVs", impl: "tfjs-cpu", factor: 1 },
  targetText: ">= 1x TF.js cpu",
  heavy: false,
};

export async function tinyOpRow(cfg: Config): Promise<RowResult> {
  const { run, skipped } = plannedImpls(cfg, tinySpec);
  const contenders: Contender[] = [];
  const out = new Map<string, ArrayLike<number>>();
  const owned: tf.Tensor[] = [];
  for (const impl of run) {
    if (impl === "minigrad") {
      const a = tensor(TINY_A);
      const b = tensor(TINY_B);
      contenders.push({
        impl,
        run: () => {
          const t0 = performance.now();
          let c = a;
          for (let i = 0; i < TINY_OPS; i++) c = i % 3 === 0 ? c.add(b) : i % 3 === 1 ? c.mul(b) : c.tanh();
          const v = c.toTypedArray();
          const ms = performance.now() - t0;
          out.set(impl, v);
          return { ms };
        },
      });
    } else {
      const backend = tfBackendOf(impl);
      await useBackend(backend);
      const a = tf.tensor1d(TINY_A);
      const b = tf.tensor1d(TINY_B);
      owned.push(a, b);
      contenders.push({
        impl,
        before: () => useBackend(backend),
        run: () => {
          const t0 = performance.now();
          const c = tf.tidy(() => {
            let x: tf.Tensor = a;
            for (let i = 0; i < TINY_OPS; i++) x = i % 3 === 0 ? tf.add(x, b) : i % 3 === 1 ? tf.mul(x, b) : tf.tanh(x);
            return x;
          });
          const v = c.dataSync();
          const ms = performance.now() - t0;
          c.dispose();
          out.set(impl, v);
          return { ms };
        },
      });
    }
  }
  try {
    const { cells } = await measureRow(cfg, tinySpec, contenders, (ms) => (ms * 1e6) / TINY_OPS, skipped);
    return finishRow(tinySpec, cells, [], { opsPerSample: TINY_OPS, shape: [4], maxRelDiffVsMinigrad: diffs(out) });
  } finally {
    tf.dispose(owned);
  }
}

function diffs(out: Map<string, ArrayLike<number>>): Record<string, number> {
  const mg = out.get("minigrad");
  const r: Record<string, number> = {};
  if (mg === undefined) return r;
  for (const [impl, v] of out) if (impl !== "minigrad") r[impl] = maxRelDiff(mg, v);
  return r;
}

const GRAPH_OPS = 10_000;
// w = 1 and b = 0 let z drift slowly toward 0 instead of settling at a fixed point where
// every tanh would shrink the gradient by the same factor: over 3,333 steps that would
// underflow into float32 subnormals, whose arithmetic is far slower in wasm and would
// distort the comparison. Here every gradient stays a normal float (checked below).
const X0 = 0.5;
const W = 1;
const B = 0;

const graphSpec: RowSpec = {
  id: "graph10k",
  label: "10,000-node scalar graph fwd+bwd",
  unit: "ms",
  better: "lower",
  target: { kind: "atMost", value: 20 },
  targetText: "<= 20 ms",
  heavy: true,
};

/** z = tanh(...((x0 * w) + b)...) with GRAPH_OPS ops; the same recipe for both frameworks. */
function chain<T>(x: T, ops: { mul: (a: T) => T; add: (a: T) => T; tanh: (a: T) => T }): T {
  let z = x;
  for (let i = 0; i < GRAPH_OPS; i++) z = i % 3 === 0 ? ops.mul(z) : i % 3 === 1 ? ops.add(z) : ops.tanh(z);
  return z;
}

export async function scalarGraphRow(cfg: Config): Promise<RowResult> {
  const { run, skipped } = plannedImpls(cfg, graphSpec);
  const contenders: Contender[] = [];
  const grads = new Map<string, ArrayLike<number>>();
  const forwardMs: number[] = [];
  const notes: string[] = [];
  const backwardMs: number[] = [];
  for (const impl of run) {
    if (impl === "minigrad") {
      contenders.push({
        impl,
        run: () => {
          const t0 = performance.now();
          const x = tensor(X0, { requiresGrad: true });
          const w = tensor(W, { requiresGrad: true });
          const b = tensor(B, { requiresGrad: true });
          const z = chain<Tensor>(x, { mul: (a) => a.mul(w), add: (a) => a.add(b), tanh: (a) => a.tanh() });
          const t1 = performance.now();
          z.backward();
          const g = [x.grad?.item() ?? NaN, w.grad?.item() ?? NaN, b.grad?.item() ?? NaN];
          const t2 = performance.now();
          forwardMs.push(t1 - t0);
          backwardMs.push(t2 - t1);
          grads.set(impl, g);
          return { ms: t2 - t0 };
        },
      });
    } else {
      const backend = tfBackendOf(impl);
      const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor =>
        chain<tf.Tensor>(x, { mul: (a) => tf.mul(a, w), add: (a) => tf.add(a, b), tanh: (a) => tf.tanh(a) });
      const gradsOf = tf.grads(f);
      contenders.push({
        impl,
        before: () => useBackend(backend),
        run: () => {
          const t0 = performance.now();
          const gs = tf.tidy(() => gradsOf([tf.scalar(X0), tf.scalar(W), tf.scalar(B)]));
          const g = gs.map((t) => t.dataSync()[0]);
          const ms = performance.now() - t0;
          tf.dispose(gs);
          grads.set(impl, g);
          return { ms };
        },
      });
    }
  }
  const { cells } = await measureRow(cfg, graphSpec, contenders, (ms) => ms, skipped);
  const timed = countsFor(cfg, graphSpec.heavy).repeats; // the last runs are the timed ones
  forwardMs.splice(0, Math.max(0, forwardMs.length - timed));
  backwardMs.splice(0, Math.max(0, backwardMs.length - timed));
  const extra = {
    ops: GRAPH_OPS,
    minigradForwardMs: median(forwardMs),
    minigradBackwardMs: median(backwardMs),
    minigradNsPerOp: cells.minigrad?.kind === "value" ? (cells.minigrad.value * 1e6) / GRAPH_OPS : null,
    gradsXWB: Object.fromEntries(grads),
    maxRelDiffVsMinigrad: diffs(grads),
  };
  for (const [impl, g] of grads) {
    if (Array.from(g).some((v) => !(Math.abs(v) >= 1.1754943508222875e-38))) {
      notes.push(`graph10k: ${impl} gradients [${Array.from(g).join(", ")}] include a zero or subnormal value`);
    }
  }
  const perNode = extra.minigradNsPerOp === null ? "" : `, ${(extra.minigradNsPerOp / 1000).toFixed(1)} us per node`;
  const notes0 = [`graph10k: minigrad forward ${extra.minigradForwardMs.toFixed(2)} ms + backward ${extra.minigradBackwardMs.toFixed(2)} ms (medians)${perNode}`];
  return finishRow(graphSpec, cells, [...notes0, ...notes], extra);
}
