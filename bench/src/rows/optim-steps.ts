/**
 * One optimizer step over 1e6 float32 parameters with a given gradient, for RMSprop
 * (rows/optim.ts), Adam, SGD with momentum and plain SGD: minigrad's optimizer on a tensor
 * whose `.grad` is set, against the TF.js optimizer's applyGradients on a tf.variable, with
 * the same options. The lr is tiny so the parameters stay put however many steps run.
 */
import { tensor, type Tensor } from "@minigrad/tensor";
import { Adam, SGD } from "@minigrad/optim";
import type { Config } from "../cli";
import { randnF32 } from "../data";
import { EPS } from "../models";
import { finishRow, measureRow, plannedImpls, tfBackendOf, type RowResult, type RowSpec } from "../row";
import { tf, useBackend } from "../tfjs";
import type { Contender } from "../timing";

const N = 1_000_000;
const STEP_LR = 1e-6;
const BETAS = [0.9, 0.999] as const;
const MOMENTUM = 0.9;

/** What a row runs: each library's optimizer, and what to say about how they differ. */
export interface StepCase {
  spec: RowSpec;
  minigrad: (p: Tensor) => { step(): unknown };
  tfjs: () => tf.Optimizer;
  /** what `dispose()` leaves alive of the TF.js optimizer, if anything */
  tfjsDispose?: (opt: tf.Optimizer) => void;
  notes: string[];
  extra: Record<string, unknown>;
  /** the seed of the parameters' data (the gradient's is the next one; 3100 unless given) */
  seed?: number;
}

const heavy = { unit: "ms", better: "lower", heavy: true, quickSkipsCpu: true } as const;

export const ADAM_CASE: StepCase = {
  spec: { id: "adam1e6", label: "Adam step, 1e6 float32 params", ...heavy, target: { kind: "atMost", value: 1 }, targetText: "<= 1 ms" },
  minigrad: (p) => new Adam([p], { lr: STEP_LR, betas: BETAS, eps: EPS }),
  tfjs: () => tf.train.adam(STEP_LR, BETAS[0], BETAS[1], EPS),
  notes: [
    "Adam: TF.js folds the bias corrections into lr, which moves eps (eps·sqrt(1 - beta2^t) in minigrad/PyTorch terms); issue 14 asks >= 4x TF.js wasm",
  ],
  extra: { params: N, lr: STEP_LR, betas: BETAS, eps: EPS },
};

export const SGD_MOMENTUM_CASE: StepCase = {
  spec: {
    id: "sgdMomentum1e6", label: "SGD step (momentum 0.9), 1e6 float32 params", ...heavy,
    target: { kind: "atMost", value: 0.5 }, targetText: "<= 0.5 ms",
  },
  minigrad: (p) => new SGD([p], { lr: STEP_LR, momentum: MOMENTUM }),
  tfjs: () => tf.train.momentum(STEP_LR, MOMENTUM, false),
  // TF.js 4.22's MomentumOptimizer.dispose leaves SGDOptimizer's scalar lr (`c`) alive
  tfjsDispose: (opt) => (opt as unknown as { c?: tf.Tensor }).c?.dispose(),
  notes: ["SGD momentum: TF.js accumulates lr·g in the buffer, minigrad/PyTorch apply lr to it (the same work)"],
  extra: { params: N, lr: STEP_LR, momentum: MOMENTUM },
};

export const SGD_CASE: StepCase = {
  spec: {
    id: "sgd1e6", label: "SGD step, 1e6 float32 params", ...heavy,
    target: { kind: "speedVs", impl: "tfjs-wasm", factor: 1 }, targetText: "at least as fast as TF.js wasm",
  },
  minigrad: (p) => new SGD([p], { lr: STEP_LR }),
  tfjs: () => tf.train.sgd(STEP_LR),
  notes: [],
  extra: { params: N, lr: STEP_LR },
};

/** Time one step of each library's optimizer (TF.js: applyGradients, then dataSync as readback). */
export async function optimizerStepRow(cfg: Config, c: StepCase): Promise<RowResult> {
  const seed = c.seed ?? 3100;
  const pData = randnF32(N, seed);
  const gData = randnF32(N, seed + 1, 1e-2);
  const { run, skipped } = plannedImpls(cfg, c.spec);
  const contenders: Contender[] = [];
  const cleanup: (() => void)[] = [];
  for (const impl of run) {
    if (impl === "minigrad") {
      const p = tensor(pData, { shape: [N], requiresGrad: true });
      p.grad = tensor(gData, { shape: [N] });
      const opt = c.minigrad(p);
      contenders.push({
        impl,
        run: () => {
          const t0 = performance.now();
          opt.step();
          return { ms: performance.now() - t0 };
        },
      });
    } else {
      const backend = tfBackendOf(impl);
      await useBackend(backend);
      const init = tf.tensor1d(pData);
      const v = tf.variable(init);
      init.dispose();
      const g = tf.tensor1d(gData);
      const opt = c.tfjs();
      const grads: tf.NamedTensorMap = { [v.name]: g };
      cleanup.push(() => {
        opt.dispose();
        c.tfjsDispose?.(opt);
        tf.dispose([v, g]);
      });
      contenders.push({
        impl,
        before: () => useBackend(backend),
        run: () => {
          const t0 = performance.now();
          opt.applyGradients(grads);
          const t1 = performance.now();
          v.dataSync();
          return { ms: t1 - t0, readbackMs: performance.now() - t1 };
        },
      });
    }
  }
  try {
    const { cells } = await measureRow(cfg, c.spec, contenders, (ms) => ms, skipped);
    return finishRow(c.spec, cells, [...c.notes], c.extra);
  } finally {
    for (const f of cleanup) f();
  }
}
