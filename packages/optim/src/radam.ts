import type { FloatArray, Tensor } from "@minigrad/tensor";
import { ADAM_LIKE_CHECKS } from "./adam";
import { fma32 } from "./fma";
import { Optimizer } from "./optimizer";
import { optionChecks, type OptimizerChecks, type Params } from "./param-groups";
import {
  checkBuffers, checkParamAndGrad, gatherWork, resolveOptions, stateFor, stepCount, zeroBuffer,
} from "./update-checks";
import { updateRows } from "./update-rows";

/** RAdam's options as users pass them (each optional), with torch's names in camelCase. */
export type RAdamOptions = {
  /** Learning rate γ (1e-3). */
  lr?: number;
  /** β₁, β₂: decay rates of the gradient's and squared gradient's averages ([0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator after the square root (1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (0). */
  weightDecay?: number;
  /** torch's multi-tensor switch; accepted for checkpoint compatibility (one implementation here). */
  foreach?: boolean | null;
};

/** Every option resolved: what each parameter group of a RAdam holds. */
export type RAdamGroupOptions = Required<RAdamOptions>;

/** torch's defaults, in torch 1.13's key order (1.13's RAdam has no maximize). */
export const RADAM_DEFAULTS: Readonly<RAdamGroupOptions> = Object.freeze({
  lr: 1e-3,
  betas: Object.freeze([0.9, 0.999] as const),
  eps: 1e-8,
  weightDecay: 0,
  foreach: null,
});

/** The buffers the update reads and writes, each shaped like the parameter. */
export interface RAdamBuffers {
  /** m, the running average of the gradient (torch's exp_avg); starts at 0. */
  expAvg: Tensor;
  /** v, the running average of the squared gradient (torch's exp_avg_sq); starts at 0. */
  expAvgSq: Tensor;
}

/** RAdam's per-parameter state. */
export interface RAdamState extends RAdamBuffers {
  /** The number of updates of this parameter, t (torch's step, a 0-d tensor there). */
  step: number;
}

const { booleanOrNull, stepCount: isStepCount, tensor: isTensor } = optionChecks;

/** RAdam's checks, in torch's order: lr, eps, each beta, weight_decay; then foreach's type. */
export const RADAM_CHECKS: OptimizerChecks<RAdamGroupOptions> = Object.freeze({
  options: {
    ...ADAM_LIKE_CHECKS,
    foreach: booleanOrNull,
  },
  state: { step: isStepCount, expAvg: isTensor, expAvgSq: isTensor },
});

/**
 * RAdam (rectified Adam), exactly as `torch.optim.RAdam` (PyTorch 1.13's for-loop
 * implementation).
 *
 * For each parameter θ with gradient g (parameters whose `.grad` is null are skipped: no
 * state is created for them and their `step` does not advance), at step t = 1, 2, ...:
 *
 * ```text
 * g ← g + λθ                         if weightDecay λ ≠ 0 (L2)
 * m ← β₁m + (1 − β₁)g                expAvg, starts at 0
 * v ← β₂v + (1 − β₂)g²               expAvgSq, starts at 0
 * m̂ ← m / (1 − β₁ᵗ)
 * ρ∞ ← 2 / (1 − β₂) − 1;  ρₜ ← ρ∞ − 2t β₂ᵗ / (1 − β₂ᵗ)
 * if ρₜ > 5:  r ← √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))
 *             θ ← θ − m̂ · γ · (√(1 − β₂ᵗ) / (√v + ε)) · r
 * else:       θ ← θ − m̂ · γ            (the variance is not yet tractable: momentum SGD)
 * ```
 *
 * ρₜ, r and the bias corrections are computed in double, as torch does in Python, then
 * rounded once. With the default β₂ = 0.999 the first five steps are unrectified. Float32
 * is bit-identical to PyTorch's CPU kernels (the same operations in the same order: the
 * adaptive term is torch's `√(1 − β₂ᵗ) / denom`, a reciprocal times a scalar); float64
 * follows the same order in double. 1.13's RAdam has no `maximize` (2.0 added it) and no
 * decoupled weight decay (2.1). `state.step` is a plain number (torch 1.13 keeps a 0-d tensor).
 *
 * @example
 * const opt = new RAdam(model.parameters(), { lr: 1e-3 });
 */
export class RAdam extends Optimizer<RAdamGroupOptions> {
  /**
   * @throws OptimizerError with torch's messages, checked in this order before the
   *   parameters: `Invalid learning rate: -1`, `Invalid epsilon value: -1`, `Invalid beta
   *   parameter at index 0: 1.5` (each beta must be in [0, 1)), `Invalid weight_decay value: -1`.
   */
  constructor(params: Params<RAdamGroupOptions>, options: RAdamOptions = {}) {
    super(params, resolveOptions("RAdam", RADAM_DEFAULTS, options), RADAM_CHECKS);
  }

  protected update(): void {
    const work = gatherWork("RAdam", this.paramGroups, this.state, (entry, param, _group, where) => {
      checkBuffers("RAdam", entry, BUFFERS, param, where);
    });
    for (const { param, grad, group } of work) {
      const entry = stateFor(this.state, param, () => ({ step: 0, expAvg: zeroBuffer(param), expAvgSq: zeroBuffer(param) }));
      const step = stepCount(entry.step) + 1;
      entry.step = step;
      radamUpdate(param, grad, { expAvg: entry.expAvg as Tensor, expAvgSq: entry.expAvgSq as Tensor }, group, step);
    }
  }

  /** Options missing from an older checkpoint's groups get torch's defaults (`__setstate__`). */
  protected override loadDefaults(): Partial<RAdamGroupOptions> {
    return RADAM_DEFAULTS;
  }
}

/** The state's tensors, in torch's order. */
const BUFFERS = ["expAvg", "expAvgSq"] as const;

/** The options `radamUpdate` reads (a resolved parameter group has them all). */
export interface RAdamHyperparameters {
  /** Learning rate γ; default 1e-3. */
  lr: number;
  /** Coefficients (β₁, β₂) of the running averages of g and g²; default [0.9, 0.999]. */
  betas: readonly [number, number];
  /** Term added to the rectified step's denominator after the square root, √v + ε; default 1e-8. */
  eps: number;
  /** L2 penalty λ added to the gradient (g + λθ); torch's weight_decay, default 0. */
  weightDecay: number;
}

/** The scalars of one update, each formed in double and rounded once to the parameter's precision. */
interface Constants {
  B1: number;
  W1: number;
  B2: number;
  W2: number;
  EPS: number;
  WD: number;
  LR: number;
  /** 1 − β₁ᵗ. */
  BC1: number;
  /** √(1 − β₂ᵗ). */
  SBC2: number;
  /** The rectification r (used when `rectified`). */
  RECT: number;
  rectified: boolean;
  decay: boolean;
}

/*
 * Float32, operation by operation as torch's AVX2 kernels (torch-semantics.md §1.9), over
 * param (P), grad (G), expAvg (M), expAvgSq (V):
 *   g = fma(p, WD, g)                          grad.add(param, alpha=wd)
 *   m = fma(g, W1, r(m*B1))                    exp_avg.mul_(beta1).add_(grad, alpha=1-beta1)
 *   v = fma(r(W2*g), g, r(v*B2))               exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2)
 *   h = r(m / BC1)                             exp_avg / bias_correction1
 * rectified:
 *   a = r(r(1 / r(r(sqrt(v)) + EPS)) * SBC2)   sqrt(bc2) / exp_avg_sq.sqrt().add_(eps) (reciprocal() * scalar)
 *   p = r(p - r(r(r(h*LR) * a) * RECT))        param.add_(h * lr * adaptive_lr * rect, alpha=-1)
 * else:
 *   p = r(p - r(h*LR))                         param.add_(h * lr, alpha=-1)
 */
function rowF32(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, M, V] = arrays;
  const fr = Math.fround;
  const { B1, W1, B2, W2, EPS, WD, LR, BC1, SBC2, RECT, rectified, decay } = c;
  let pi = off[0], gi = off[1], mi = off[2], vi = off[3];
  const ps = inc[0], gs = inc[1], ms = inc[2], vs = inc[3];
  for (let i = 0; i < n; i++) {
    const p = P[pi];
    let g = G[gi];
    if (decay) g = fma32(p, WD, g);
    const m = fma32(g, W1, fr(M[mi] * B1));
    M[mi] = m;
    const v = fma32(fr(W2 * g), g, fr(V[vi] * B2));
    V[vi] = v;
    const h = fr(m / BC1);
    if (rectified) {
      const a = fr(fr(1 / fr(fr(Math.sqrt(v)) + EPS)) * SBC2);
      P[pi] = fr(p - fr(fr(fr(h * LR) * a) * RECT));
    } else {
      P[pi] = fr(p - fr(h * LR));
    }
    pi += ps; gi += gs; mi += ms; vi += vs;
  }
}

/** Float64: the same operations in the same order, each a double op (a*b + c for torch's FMAs). */
function rowF64(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, M, V] = arrays;
  const { B1, W1, B2, W2, EPS, WD, LR, BC1, SBC2, RECT, rectified, decay } = c;
  let pi = off[0], gi = off[1], mi = off[2], vi = off[3];
  const ps = inc[0], gs = inc[1], ms = inc[2], vs = inc[3];
  for (let i = 0; i < n; i++) {
    const p = P[pi];
    let g = G[gi];
    if (decay) g = p * WD + g;
    const m = g * W1 + M[mi] * B1;
    M[mi] = m;
    const v = W2 * g * g + V[vi] * B2;
    V[vi] = v;
    const h = m / BC1;
    if (rectified) {
      const a = (1 / (Math.sqrt(v) + EPS)) * SBC2;
      P[pi] = p - h * LR * a * RECT;
    } else {
      P[pi] = p - h * LR;
    }
    pi += ps; gi += gs; mi += ms; vi += vs;
  }
}

/**
 * One RAdam update of one parameter at step `step` (1 on the first update), in place,
 * exactly as torch's for-loop implementation (1.13): see `RAdam`. Reads `grad` (never
 * modifies it); updates `param` and the buffers in one pass (any strides, no allocation).
 */
export function radamUpdate(
  param: Tensor, grad: Tensor, buffers: RAdamBuffers, hp: RAdamHyperparameters, step: number,
): void {
  checkParamAndGrad("RAdam", param, grad);
  const [m, v] = checkBuffers("RAdam", buffers, BUFFERS, param);
  const [beta1, beta2] = hp.betas;
  // In double, in torch's (Python's) order of operations.
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2 = 1 - beta2 ** step;
  const rhoInf = 2 / (1 - beta2) - 1;
  const rhoT = rhoInf - (2 * step * beta2 ** step) / biasCorrection2;
  const rectified = rhoT > 5;
  const rect = rectified ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
  const constants = (round: (x: number) => number): Constants => ({
    B1: round(beta1),
    W1: round(1 - beta1),
    B2: round(beta2),
    W2: round(1 - beta2),
    EPS: round(hp.eps),
    WD: round(hp.weightDecay),
    LR: round(hp.lr),
    BC1: round(biasCorrection1),
    SBC2: round(Math.sqrt(biasCorrection2)),
    RECT: round(rect),
    rectified,
    decay: hp.weightDecay !== 0,
  });
  updateRows([param, grad, m, v], constants, rowF32, rowF64);
}
