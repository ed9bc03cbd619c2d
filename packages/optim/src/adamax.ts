import type { FloatArray, Tensor } from "@minigrad/tensor";
import { ADAM_LIKE_CHECKS } from "./adam";
import { fma32 } from "./fma";
import { Optimizer } from "./optimizer";
import { optionChecks, type OptimizerChecks, type Params } from "./param-groups";
import {
  checkBuffers, checkParamAndGrad, gatherWork, resolveOptions, stateFor, stepCount, zeroBuffer,
} from "./update-checks";
import { updateRows } from "./update-rows";

/** Adamax's options as users pass them (each optional), with torch's names in camelCase. */
export type AdamaxOptions = {
  /** Learning rate γ (2e-3). */
  lr?: number;
  /** β₁, β₂: decay rates of the gradient's average and of the infinity norm ([0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to |g| before the maximum (1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (0). */
  weightDecay?: number;
  /** torch's multi-tensor switch; accepted for checkpoint compatibility (one implementation here). */
  foreach?: boolean | null;
  /** Maximize the objective instead of minimizing it. */
  maximize?: boolean;
};

/** Every option resolved: what each parameter group of an Adamax holds. */
export type AdamaxGroupOptions = Required<AdamaxOptions>;

/** torch's defaults, in torch 1.13's key order. */
export const ADAMAX_DEFAULTS: Readonly<AdamaxGroupOptions> = Object.freeze({
  lr: 2e-3,
  betas: Object.freeze([0.9, 0.999] as const),
  eps: 1e-8,
  weightDecay: 0,
  foreach: null,
  maximize: false,
});

/** The buffers the update reads and writes, each shaped like the parameter. */
export interface AdamaxBuffers {
  /** m, the running average of the gradient (torch's exp_avg); starts at 0. */
  expAvg: Tensor;
  /** u, the decayed infinity norm max(β₂u, |g| + ε) (torch's exp_inf); starts at 0. */
  expInf: Tensor;
}

/** Adamax's per-parameter state. */
export interface AdamaxState extends AdamaxBuffers {
  /** The number of updates of this parameter, t (torch's step, a 0-d tensor there). */
  step: number;
}

const { boolean, booleanOrNull, stepCount: isStepCount, tensor: isTensor } = optionChecks;

/** Adamax's checks, in torch's order: lr, eps, each beta, weight_decay; then the flags' types. */
export const ADAMAX_CHECKS: OptimizerChecks<AdamaxGroupOptions> = Object.freeze({
  options: {
    ...ADAM_LIKE_CHECKS,
    foreach: booleanOrNull,
    maximize: boolean,
  },
  state: { step: isStepCount, expAvg: isTensor, expInf: isTensor },
});

/**
 * Adamax (Adam with the infinity norm), exactly as `torch.optim.Adamax` (PyTorch 1.13's
 * for-loop implementation).
 *
 * For each parameter θ with gradient g (parameters whose `.grad` is null are skipped: no
 * state is created for them and their `step` does not advance), at step t = 1, 2, ...:
 *
 * ```text
 * g ← −g                             if maximize
 * g ← g + λθ                         if weightDecay λ ≠ 0 (L2)
 * m ← β₁m + (1 − β₁)g                expAvg, starts at 0
 * u ← max(β₂u, |g| + ε)              expInf, starts at 0 (NaN if either is NaN)
 * θ ← θ − (γ / (1 − β₁ᵗ)) · m / u
 * ```
 *
 * ε is added to |g| inside the maximum (not to the denominator), as torch does. The step
 * size `γ / (1 − β₁ᵗ)` is formed in double, as torch does in Python, then rounded once.
 * Float32 is bit-identical to PyTorch's CPU kernels (the same operations in the same order,
 * the fused multiply-adds emulated exactly); float64 follows the same order in double.
 * `state.step` is a plain number (torch 1.13 keeps a 0-d tensor; one is read on load).
 *
 * @example
 * const opt = new Adamax(model.parameters(), { lr: 2e-3, betas: [0.9, 0.999] });
 */
export class Adamax extends Optimizer<AdamaxGroupOptions> {
  /**
   * @throws OptimizerError with torch's messages, checked in this order before the
   *   parameters: `Invalid learning rate: -1`, `Invalid epsilon value: -1`, `Invalid beta
   *   parameter at index 0: 1.5` (each beta must be in [0, 1)), `Invalid weight_decay value: -1`.
   */
  constructor(params: Params<AdamaxGroupOptions>, options: AdamaxOptions = {}) {
    super(params, resolveOptions("Adamax", ADAMAX_DEFAULTS, options), ADAMAX_CHECKS);
  }

  protected update(): void {
    const work = gatherWork("Adamax", this.paramGroups, this.state, (entry, param, _group, where) => {
      checkBuffers("Adamax", entry, BUFFERS, param, where);
    });
    for (const { param, grad, group } of work) {
      const entry = stateFor(this.state, param, () => ({ step: 0, expAvg: zeroBuffer(param), expInf: zeroBuffer(param) }));
      const step = stepCount(entry.step) + 1;
      entry.step = step;
      adamaxUpdate(param, grad, { expAvg: entry.expAvg as Tensor, expInf: entry.expInf as Tensor }, group, step);
    }
  }

  /** Options missing from an older checkpoint's groups get torch's defaults (`__setstate__`). */
  protected override loadDefaults(): Partial<AdamaxGroupOptions> {
    return ADAMAX_DEFAULTS;
  }
}

/** The state's tensors, in torch's order. */
const BUFFERS = ["expAvg", "expInf"] as const;

/** The options `adamaxUpdate` reads (a resolved parameter group has them all). */
export interface AdamaxHyperparameters {
  /** Learning rate γ, divided by 1 − β₁ᵗ; default 2e-3. */
  lr: number;
  /** Coefficients (β₁, β₂) of the gradient's average and infinity norm; default [0.9, 0.999]. */
  betas: readonly [number, number];
  /** Term added to |g| inside the maximum (not to the denominator); default 1e-8. */
  eps: number;
  /** L2 penalty λ added to the gradient (g + λθ); torch's weight_decay, default 0. */
  weightDecay: number;
  /** Maximize the objective (g ← −g first); default false. */
  maximize: boolean;
}

/** The scalars of one update, each formed in double and rounded once to the parameter's precision. */
interface Constants {
  B1: number;
  W1: number;
  B2: number;
  EPS: number;
  WD: number;
  /** −γ / (1 − β₁ᵗ). */
  NCLR: number;
  maximize: boolean;
  decay: boolean;
}

/*
 * Float32, operation by operation as torch's AVX2 kernels (torch-semantics.md §1.9), over
 * param (P), grad (G), expAvg (M), expInf (U):
 *   g = -g (maximize);  g = fma(p, WD, g)      grad.add(param, alpha=wd)
 *   m = fma(g, W1, r(m*B1))                    exp_avg.mul_(beta1).add_(grad, alpha=1-beta1)
 *   u = max(r(u*B2), r(|g| + EPS))             amax(cat([exp_inf.mul_(beta2), grad.abs().add_(eps)]))
 *   p = r(p + r(r(NCLR*m) / u))                param.addcdiv_(exp_avg, exp_inf, value=-clr)
 */
function rowF32(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, M, U] = arrays;
  const fr = Math.fround;
  const { B1, W1, B2, EPS, WD, NCLR, maximize, decay } = c;
  let pi = off[0], gi = off[1], mi = off[2], ui = off[3];
  const ps = inc[0], gs = inc[1], ms = inc[2], us = inc[3];
  for (let i = 0; i < n; i++) {
    const p = P[pi];
    let g = maximize ? -G[gi] : G[gi];
    if (decay) g = fma32(p, WD, g);
    const m = fma32(g, W1, fr(M[mi] * B1));
    M[mi] = m;
    const u = Math.max(fr(U[ui] * B2), fr(Math.abs(g) + EPS));
    U[ui] = u;
    P[pi] = fr(p + fr(fr(NCLR * m) / u));
    pi += ps; gi += gs; mi += ms; ui += us;
  }
}

/** Float64: the same operations in the same order, each a double op (a*b + c for torch's FMAs). */
function rowF64(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, M, U] = arrays;
  const { B1, W1, B2, EPS, WD, NCLR, maximize, decay } = c;
  let pi = off[0], gi = off[1], mi = off[2], ui = off[3];
  const ps = inc[0], gs = inc[1], ms = inc[2], us = inc[3];
  for (let i = 0; i < n; i++) {
    const p = P[pi];
    let g = maximize ? -G[gi] : G[gi];
    if (decay) g = p * WD + g;
    const m = g * W1 + M[mi] * B1;
    M[mi] = m;
    const u = Math.max(U[ui] * B2, Math.abs(g) + EPS);
    U[ui] = u;
    P[pi] = p + (NCLR * m) / u;
    pi += ps; gi += gs; mi += ms; ui += us;
  }
}

/**
 * One Adamax update of one parameter at step `step` (1 on the first update), in place,
 * exactly as torch's for-loop implementation (1.13): see `Adamax`. Reads `grad` (never
 * modifies it); updates `param` and the buffers in one pass (any strides, no allocation).
 */
export function adamaxUpdate(
  param: Tensor, grad: Tensor, buffers: AdamaxBuffers, hp: AdamaxHyperparameters, step: number,
): void {
  checkParamAndGrad("Adamax", param, grad);
  const [m, u] = checkBuffers("Adamax", buffers, BUFFERS, param);
  const [beta1, beta2] = hp.betas;
  const constants = (round: (x: number) => number): Constants => ({
    B1: round(beta1),
    W1: round(1 - beta1),
    B2: round(beta2),
    EPS: round(hp.eps),
    WD: round(hp.weightDecay),
    NCLR: round(-(hp.lr / (1 - beta1 ** step))),
    maximize: hp.maximize,
    decay: hp.weightDecay !== 0,
  });
  updateRows([param, grad, m, u], constants, rowF32, rowF64);
}
