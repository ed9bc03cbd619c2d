import { Tensor, type FloatArray } from "@minigrad/tensor";
import { fma32 } from "./fma";
import { Optimizer } from "./optimizer";
import { describeValue, isNumber, optionChecks, type OptimizerChecks, type OptionCheck, type Params } from "./param-groups";
import {
  checkOperand, checkParamAndGrad, gatherWork, resolveOptions, stateFor, stateScalar, stepCount, zeroBuffer,
} from "./update-checks";
import { updateRows } from "./update-rows";

/** ASGD's options as users pass them (each optional), with torch's names in camelCase. */
export type ASGDOptions = {
  /** Learning rate γ (1e-2). */
  lr?: number;
  /** Decay term λ (1e-4). */
  lambd?: number;
  /** Power α of the step-size schedule (0.75). */
  alpha?: number;
  /** The step after which averaging starts (1e6). */
  t0?: number;
  /** L2 penalty added to the gradient (0). */
  weightDecay?: number;
  /** torch's multi-tensor switch; accepted for checkpoint compatibility (one implementation here). */
  foreach?: boolean | null;
  /** Maximize the objective instead of minimizing it. */
  maximize?: boolean;
};

/** Every option resolved: what each parameter group of an ASGD holds. */
export type ASGDGroupOptions = Required<ASGDOptions>;

/** torch's defaults, in torch 1.13's key order. */
export const ASGD_DEFAULTS: Readonly<ASGDGroupOptions> = Object.freeze({
  lr: 1e-2,
  lambd: 1e-4,
  alpha: 0.75,
  t0: 1e6,
  weightDecay: 0,
  foreach: null,
  maximize: false,
});

/**
 * ASGD's per-parameter state. torch 1.13 keeps `step`, `eta` and `mu` as 0-d float32
 * tensors; here they are plain numbers holding the same float32 values (a checkpoint's
 * one-element tensors are read as their values).
 */
export interface ASGDState {
  /** The number of updates of this parameter, t (torch's step). */
  step: number;
  /** The step size of the next step, ηₜ (float32-valued, whatever the parameter's dtype). */
  eta: number;
  /** The averaging factor of the next step, μₜ (float32-valued). */
  mu: number;
  /** The running average of θ. */
  ax: Tensor;
}

const { nonNegative, boolean, booleanOrNull, stepCount: isStepCount, tensor: isTensor } = optionChecks;

/** A number, or a one-element tensor (torch's 0-d `eta` and `mu`). */
const isScalar: OptionCheck = (value) =>
  typeof value === "number" || (value instanceof Tensor && value.numel === 1)
    ? undefined
    : { kind: "type", message: `expected a number (or a one-element tensor), got ${describeValue(value)}` };

/** ASGD's checks, in torch's order: lr, then weight_decay. */
export const ASGD_CHECKS: OptimizerChecks<ASGDGroupOptions> = Object.freeze({
  options: {
    lr: nonNegative("learning rate"),
    weightDecay: nonNegative("weight_decay value"),
    lambd: isNumber,
    alpha: isNumber,
    t0: isNumber,
    foreach: booleanOrNull,
    maximize: boolean,
  },
  state: { step: isStepCount, eta: isScalar, mu: isScalar, ax: isTensor },
});

/**
 * Averaged SGD, exactly as `torch.optim.ASGD` (PyTorch 1.13's for-loop implementation).
 *
 * For each parameter θ with gradient g (parameters whose `.grad` is null are skipped and
 * their `step` does not advance), at step t = 1, 2, ..., with η₁ = γ and μ₁ = 1:
 *
 * ```text
 * g ← −g                          if maximize
 * g ← g + wθ                      if weightDecay w ≠ 0
 * θ ← θ·(1 − λη) − ηg             the SGD step, with a decay term
 * ā ← ā + μ(θ − ā)                ax: the running average (ā ← θ while μ = 1)
 * η ← γ / (1 + λγt)^α             the next step's eta
 * μ ← 1 / max(1, t − t0)          the next step's mu: averaging starts after step t0
 * ```
 *
 * η and μ are computed in double and stored rounded to float32, as torch stores them in
 * 0-d float32 tensors (also for float64 parameters). The average `ax` is state only: the
 * parameters remain the SGD iterates (copy `ax` into them to use the average). Float32 is
 * bit-identical to PyTorch's CPU kernels (its fused multiply-adds emulated); float64 is the
 * same operations in double. Each update is one pass without allocation.
 *
 * @example
 * const opt = new ASGD(model.parameters(), { lr: 0.01, t0: 100 });
 */
export class ASGD extends Optimizer<ASGDGroupOptions> {
  /**
   * @throws OptimizerError with torch's messages, checked in this order before the
   *   parameters: `Invalid learning rate: -1`, `Invalid weight_decay value: -1`.
   */
  constructor(params: Params<ASGDGroupOptions>, options: ASGDOptions = {}) {
    super(params, resolveOptions("ASGD", ASGD_DEFAULTS, options), ASGD_CHECKS);
  }

  protected update(): void {
    const work = gatherWork("ASGD", this.paramGroups, this.state, (entry, param, _group, where) => {
      checkOperand("ASGD", "ax", entry.ax, param, where);
    });
    for (const { param, grad, group } of work) {
      const entry = stateFor(this.state, param, () => ({ step: 0, eta: Math.fround(group.lr), mu: 1, ax: zeroBuffer(param) }));
      const step = stepCount(entry.step) + 1;
      const eta = stateScalar(entry.eta) ?? Math.fround(group.lr);
      const mu = stateScalar(entry.mu) ?? 1;
      asgdUpdate(param, grad, { ax: entry.ax as Tensor }, group, eta, mu);
      entry.step = step;
      entry.eta = Math.fround(group.lr / Math.pow(1 + group.lambd * group.lr * step, group.alpha));
      entry.mu = Math.fround(1 / Math.max(1, step - group.t0));
    }
  }

  /** Options missing from an older checkpoint's groups get torch's defaults (`__setstate__`). */
  protected override loadDefaults(): Partial<ASGDGroupOptions> {
    return ASGD_DEFAULTS;
  }

  /** A PyTorch checkpoint's `eta` and `mu` are 0-d tensors, not shaped like the parameter. */
  protected override stateShapedLikeParam(key: string): boolean {
    return key !== "eta" && key !== "mu";
  }
}

/** The options `asgdUpdate` reads (a resolved parameter group has them all). */
export interface ASGDHyperparameters {
  /** Decay term λ: θ ← θ·(1 − λη) − ηg (and η's schedule); torch's lambd, default 1e-4. */
  lambd: number;
  /** L2 penalty w added to the gradient (g + wθ); torch's weight_decay, default 0. */
  weightDecay: number;
  /** Maximize the objective (g ← −g first); default false. */
  maximize: boolean;
}

interface Constants {
  WD: number;
  /** 1 − λη, formed in double. */
  DECAY: number;
  /** −η. */
  NETA: number;
  MU: number;
  maximize: boolean;
  decay: boolean;
  average: boolean;
}

/*
 * Float32, operation by operation as torch's AVX2 kernels (torch-semantics.md §1.9):
 *   g = -g (maximize);  g = fma(p, WD, g)       grad.add(param, alpha=weight_decay)
 *   p = r(p * DECAY)                            param.mul_(1 - lambd * eta)
 *   p = fma(g, NETA, p)                         param.add_(grad, alpha=-eta)
 *   a = r(a + r(r(p - a) * MU))  (or a = p)     ax.add_(param.sub(ax).mul(mu)), or ax.copy_(param) when mu == 1
 */
function rowF32(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, A] = arrays;
  const fr = Math.fround;
  const { WD, DECAY, NETA, MU, maximize, decay, average } = c;
  let pi = off[0], gi = off[1], ai = off[2];
  const ps = inc[0], gs = inc[1], as = inc[2];
  for (let i = 0; i < n; i++) {
    let p = P[pi];
    let g = maximize ? -G[gi] : G[gi];
    if (decay) g = fma32(p, WD, g);
    p = fma32(g, NETA, fr(p * DECAY));
    P[pi] = p;
    A[ai] = average ? fr(A[ai] + fr(fr(p - A[ai]) * MU)) : p;
    pi += ps; gi += gs; ai += as;
  }
}

/** Float64: the same operations in the same order, each a double op (a*b + c for torch's FMAs). */
function rowF64(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, A] = arrays;
  const { WD, DECAY, NETA, MU, maximize, decay, average } = c;
  let pi = off[0], gi = off[1], ai = off[2];
  const ps = inc[0], gs = inc[1], as = inc[2];
  for (let i = 0; i < n; i++) {
    let p = P[pi];
    let g = maximize ? -G[gi] : G[gi];
    if (decay) g = p * WD + g;
    p = g * NETA + p * DECAY;
    P[pi] = p;
    A[ai] = average ? A[ai] + (p - A[ai]) * MU : p;
    pi += ps; gi += gs; ai += as;
  }
}

/**
 * One ASGD update of one parameter with step size `eta` and averaging factor `mu` (the
 * state's, before this step), in place, exactly as torch's for-loop implementation (1.13):
 * see `ASGD`. Reads `grad` (never modifies it); updates `param` and `ax` in one pass (any
 * strides, no allocation). The caller advances `step`, `eta` and `mu`.
 */
export function asgdUpdate(
  param: Tensor, grad: Tensor, buffers: { ax: Tensor }, hp: ASGDHyperparameters, eta: number, mu: number,
): void {
  checkParamAndGrad("ASGD", param, grad);
  const ax = checkOperand("ASGD", "ax", buffers.ax, param);
  const constants = (round: (x: number) => number): Constants => ({
    WD: round(hp.weightDecay),
    DECAY: round(1 - hp.lambd * eta),
    NETA: round(-eta),
    MU: round(mu),
    maximize: hp.maximize,
    decay: hp.weightDecay !== 0,
    average: mu !== 1,
  });
  updateRows([param, grad, ax], constants, rowF32, rowF64);
}
