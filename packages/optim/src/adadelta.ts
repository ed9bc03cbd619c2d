import type { FloatArray, Tensor } from "@minigrad/tensor";
import { typeName } from "./errors";
import { fma32 } from "./fma";
import { Optimizer } from "./optimizer";
import { describeValue, optionChecks, type OptimizerChecks, type OptionCheck, type Params } from "./param-groups";
import {
  checkBuffers, checkParamAndGrad, gatherWork, resolveOptions, stateFor, stepCount, zeroBuffer,
} from "./update-checks";
import { updateRows } from "./update-rows";

/** Adadelta's options as users pass them (each optional), with torch's names in camelCase. */
export type AdadeltaOptions = {
  /** Learning rate γ, a factor on the update (1.0). */
  lr?: number;
  /** ρ: decay rate of both running averages, in [0, 1] (0.9). */
  rho?: number;
  /** Added inside both square roots (1e-6). */
  eps?: number;
  /** L2 penalty λ added to the gradient (0). */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing it. */
  maximize?: boolean;
  /** torch's multi-tensor switch; accepted for checkpoint compatibility (one implementation here). */
  foreach?: boolean | null;
};

/** Every option resolved: what each parameter group of an Adadelta holds. */
export type AdadeltaGroupOptions = Required<AdadeltaOptions>;

/** torch's defaults, in torch 1.13's key order (maximize before foreach, as torch). */
export const ADADELTA_DEFAULTS: Readonly<AdadeltaGroupOptions> = Object.freeze({
  lr: 1.0,
  rho: 0.9,
  eps: 1e-6,
  weightDecay: 0,
  maximize: false,
  foreach: null,
});

/** The buffers the update reads and writes, each shaped like the parameter. */
export interface AdadeltaBuffers {
  /** v, the running average of the squared gradient (torch's square_avg); starts at 0. */
  squareAvg: Tensor;
  /** u, the running average of the squared update Δ² (torch's acc_delta); starts at 0. */
  accDelta: Tensor;
}

/** Adadelta's per-parameter state (`step` counts the updates; the update does not use it). */
export interface AdadeltaState extends AdadeltaBuffers {
  /** The number of updates of this parameter (torch's step, an int there). */
  step: number;
}

const { nonNegative, boolean, booleanOrNull, stepCount: isStepCount, tensor: isTensor } = optionChecks;

/** torch's `0.0 <= rho <= 1.0` (so NaN fails): `Invalid rho value: 1.1`. */
const rhoCheck: OptionCheck = (value) => {
  if (typeof value !== "number") {
    return { kind: "type", message: `Invalid rho value: ${describeValue(value)} (expected a number, got ${typeName(value)})` };
  }
  return 0 <= value && value <= 1 ? undefined : { kind: "value", message: `Invalid rho value: ${describeValue(value)}` };
};

/** Adadelta's checks, in torch's order: lr, rho, eps, weight_decay; then the flags' types. */
export const ADADELTA_CHECKS: OptimizerChecks<AdadeltaGroupOptions> = Object.freeze({
  options: {
    lr: nonNegative("learning rate"),
    rho: rhoCheck,
    eps: nonNegative("epsilon value"),
    weightDecay: nonNegative("weight_decay value"),
    maximize: boolean,
    foreach: booleanOrNull,
  },
  state: { step: isStepCount, squareAvg: isTensor, accDelta: isTensor },
});

/**
 * Adadelta, exactly as `torch.optim.Adadelta` (PyTorch 1.13's for-loop implementation).
 *
 * For each parameter θ with gradient g (parameters whose `.grad` is null are skipped: no
 * state is created for them and their `step` does not advance):
 *
 * ```text
 * g ← −g                             if maximize
 * g ← g + λθ                         if weightDecay λ ≠ 0 (L2)
 * v ← ρv + (1 − ρ)g²                 squareAvg, starts at 0
 * Δ ← √(u + ε) / √(v + ε) · g
 * u ← ρu + (1 − ρ)Δ²                 accDelta, starts at 0
 * θ ← θ − γΔ
 * ```
 *
 * ε goes inside both square roots, as in Zeiler's paper and torch. Float32 is
 * bit-identical to PyTorch's CPU kernels (the same operations in the same order, the fused
 * multiply-adds emulated exactly); float64 follows the same order in double.
 *
 * Differences from other libraries: torch's (and minigrad's) defaults are lr = 1, ρ = 0.9,
 * ε = 1e-6; Keras has lr = 0.001, ρ = 0.95, ε = 1e-7.
 *
 * @example
 * const opt = new Adadelta(model.parameters(), { rho: 0.95 });
 */
export class Adadelta extends Optimizer<AdadeltaGroupOptions> {
  /**
   * @throws OptimizerError with torch's messages, checked in this order before the
   *   parameters: `Invalid learning rate: -1`, `Invalid rho value: 1.1` (rho must be in
   *   [0, 1]), `Invalid epsilon value: -1`, `Invalid weight_decay value: -1`.
   */
  constructor(params: Params<AdadeltaGroupOptions>, options: AdadeltaOptions = {}) {
    super(params, resolveOptions("Adadelta", ADADELTA_DEFAULTS, options), ADADELTA_CHECKS);
  }

  protected update(): void {
    const work = gatherWork("Adadelta", this.paramGroups, this.state, (entry, param, _group, where) => {
      checkBuffers("Adadelta", entry, BUFFERS, param, where);
    });
    for (const { param, grad, group } of work) {
      const entry = stateFor(this.state, param, () => ({ step: 0, squareAvg: zeroBuffer(param), accDelta: zeroBuffer(param) }));
      entry.step = stepCount(entry.step) + 1;
      adadeltaUpdate(param, grad, { squareAvg: entry.squareAvg as Tensor, accDelta: entry.accDelta as Tensor }, group);
    }
  }

  /** Options missing from an older checkpoint's groups get torch's defaults (`__setstate__`). */
  protected override loadDefaults(): Partial<AdadeltaGroupOptions> {
    return ADADELTA_DEFAULTS;
  }
}

/** The state's tensors, in torch's order. */
const BUFFERS = ["squareAvg", "accDelta"] as const;

/** The options `adadeltaUpdate` reads (a resolved parameter group has them all). */
export interface AdadeltaHyperparameters {
  /** Coefficient γ that scales Δ before it is applied to θ; default 1.0. */
  lr: number;
  /** Coefficient ρ of both running averages (v and u); default 0.9. */
  rho: number;
  /** Term added inside both square roots, √(u + ε) / √(v + ε); default 1e-6. */
  eps: number;
  /** L2 penalty λ added to the gradient (g + λθ); torch's weight_decay, default 0. */
  weightDecay: number;
  /** Maximize the objective (g ← −g first); default false. */
  maximize: boolean;
}

/** The scalars of one update, each formed in double and rounded once to the parameter's precision. */
interface Constants {
  RHO: number;
  W: number;
  EPS: number;
  WD: number;
  /** −γ. */
  NLR: number;
  maximize: boolean;
  decay: boolean;
}

/*
 * Float32, operation by operation as torch's AVX2 kernels (torch-semantics.md §1.9), over
 * param (P), grad (G), squareAvg (V), accDelta (U):
 *   g = -g (maximize);  g = fma(p, WD, g)      grad.add(param, alpha=wd)
 *   v = fma(r(W*g), g, r(v*RHO))               square_avg.mul_(rho).addcmul_(grad, grad, value=1-rho)
 *   s = r(sqrt(r(v + EPS)))                    square_avg.add(eps).sqrt_()
 *   d = r(r(r(sqrt(r(u + EPS))) / s) * g)      acc_delta.add(eps).sqrt_().div_(std).mul_(grad)
 *   u = fma(r(W*d), d, r(u*RHO))               acc_delta.mul_(rho).addcmul_(delta, delta, value=1-rho)
 *   p = fma(d, NLR, p)                         param.add_(delta, alpha=-lr)
 */
function rowF32(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, V, U] = arrays;
  const fr = Math.fround;
  const { RHO, W, EPS, WD, NLR, maximize, decay } = c;
  let pi = off[0], gi = off[1], vi = off[2], ui = off[3];
  const ps = inc[0], gs = inc[1], vs = inc[2], us = inc[3];
  for (let i = 0; i < n; i++) {
    const p = P[pi];
    let g = maximize ? -G[gi] : G[gi];
    if (decay) g = fma32(p, WD, g);
    const v = fma32(fr(W * g), g, fr(V[vi] * RHO));
    V[vi] = v;
    const s = fr(Math.sqrt(fr(v + EPS)));
    const u = U[ui];
    const d = fr(fr(fr(Math.sqrt(fr(u + EPS))) / s) * g);
    U[ui] = fma32(fr(W * d), d, fr(u * RHO));
    P[pi] = fma32(d, NLR, p);
    pi += ps; gi += gs; vi += vs; ui += us;
  }
}

/** Float64: the same operations in the same order, each a double op (a*b + c for torch's FMAs). */
function rowF64(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, V, U] = arrays;
  const { RHO, W, EPS, WD, NLR, maximize, decay } = c;
  let pi = off[0], gi = off[1], vi = off[2], ui = off[3];
  const ps = inc[0], gs = inc[1], vs = inc[2], us = inc[3];
  for (let i = 0; i < n; i++) {
    const p = P[pi];
    let g = maximize ? -G[gi] : G[gi];
    if (decay) g = p * WD + g;
    const v = W * g * g + V[vi] * RHO;
    V[vi] = v;
    const s = Math.sqrt(v + EPS);
    const u = U[ui];
    const d = (Math.sqrt(u + EPS) / s) * g;
    U[ui] = W * d * d + u * RHO;
    P[pi] = d * NLR + p;
    pi += ps; gi += gs; vi += vs; ui += us;
  }
}

/**
 * One Adadelta update of one parameter, in place, exactly as torch's for-loop
 * implementation (1.13): see `Adadelta`. Reads `grad` (never modifies it); updates `param`
 * and the buffers in one pass (any strides, no allocation).
 */
export function adadeltaUpdate(param: Tensor, grad: Tensor, buffers: AdadeltaBuffers, hp: AdadeltaHyperparameters): void {
  checkParamAndGrad("Adadelta", param, grad);
  const [v, u] = checkBuffers("Adadelta", buffers, BUFFERS, param);
  const constants = (round: (x: number) => number): Constants => ({
    RHO: round(hp.rho),
    W: round(1 - hp.rho),
    EPS: round(hp.eps),
    WD: round(hp.weightDecay),
    NLR: round(-hp.lr),
    maximize: hp.maximize,
    decay: hp.weightDecay !== 0,
  });
  updateRows([param, grad, v, u], constants, rowF32, rowF64);
}
