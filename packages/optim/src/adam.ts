import type { FloatArray, Tensor } from "@minigrad/tensor";
import { fma32 } from "./fma";
import { adamF32 } from "./kernels/adam";
import { Optimizer } from "./optimizer";
import {
  describeValue, optionChecks, type OptimizerChecks, type OptionCheck, type ParamGroup, type Params,
} from "./param-groups";
import type { StateEntry } from "./state-dict";
import {
  checkOperand, checkParamAndGrad, gatherWork, resolveOptions, stateFor, stepCount, zeroBuffer,
} from "./update-checks";
import { updateRows } from "./update-rows";

/** Adam's options as users pass them (each optional), with torch's names in camelCase. */
export type AdamOptions = {
  /** Learning rate γ (1e-3). */
  lr?: number;
  /** β₁, β₂: decay rates of the gradient's and squared gradient's averages ([0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator after the square root (1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (0). */
  weightDecay?: number;
  /** Normalize by the running maximum of the second moment (AMSGrad). */
  amsgrad?: boolean;
  /** Maximize the objective instead of minimizing it. */
  maximize?: boolean;
  /** torch's multi-tensor switch; accepted for checkpoint compatibility (one implementation here). */
  foreach?: boolean | null;
  /** torch's CUDA-graph option; only false. */
  capturable?: boolean;
  /** torch's differentiable step; only false (the update runs under noGrad). */
  differentiable?: boolean;
  /** torch's fused CUDA kernel; only false. */
  fused?: boolean;
};

/** Every option resolved: what each parameter group of an Adam holds. */
export type AdamGroupOptions = Required<AdamOptions>;

/** torch's defaults, in torch 1.13's key order. */
export const ADAM_DEFAULTS: Readonly<AdamGroupOptions> = Object.freeze({
  lr: 1e-3,
  betas: Object.freeze([0.9, 0.999] as const),
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  maximize: false,
  foreach: null,
  capturable: false,
  differentiable: false,
  fused: false,
});

/** Adam's (and AdamW's) per-parameter state; `maxExpAvgSq` only with amsgrad. */
export interface AdamState extends AdamBuffers {
  /** The number of updates of this parameter, t (torch's step, a 0-d tensor there). */
  step: number;
}

/** The buffers the update reads and writes, each shaped like the parameter. */
export interface AdamBuffers {
  /** m, the running average of the gradient (torch's exp_avg); starts at 0. */
  expAvg: Tensor;
  /** v, the running average of the squared gradient (torch's exp_avg_sq); starts at 0. */
  expAvgSq: Tensor;
  /** Present when amsgrad. */
  maxExpAvgSq?: Tensor;
}

const { nonNegative, boolean, booleanOrNull, only, stepCount: isStepCount, tensor: isTensor } = optionChecks;

/** torch's `0.0 <= beta < 1.0` for each beta: `Invalid beta parameter at index 0: 1.5`. */
export const betasCheck: OptionCheck = (value) => {
  if (!Array.isArray(value) || value.length !== 2 || !value.every((b) => typeof b === "number")) {
    return { kind: "type", message: `expected betas as two numbers [beta1, beta2], got ${describeValue(value)}` };
  }
  for (const i of [0, 1]) {
    const b = value[i] as number;
    if (!(0 <= b && b < 1)) return { kind: "value", message: `Invalid beta parameter at index ${i}: ${describeValue(b)}` };
  }
  return undefined;
};

/**
 * The option checks Adam, AdamW, Adamax, NAdam and RAdam open with, in torch's order: lr,
 * eps, each beta, weight_decay (`0 <= value`, and `beta < 1`).
 */
export const ADAM_LIKE_CHECKS = Object.freeze({
  lr: nonNegative("learning rate"),
  eps: nonNegative("epsilon value"),
  betas: betasCheck,
  weightDecay: nonNegative("weight_decay value"),
});

/** The state checks shared by Adam and AdamW. */
export const ADAM_STATE_CHECKS = Object.freeze({
  step: isStepCount, expAvg: isTensor, expAvgSq: isTensor, maxExpAvgSq: isTensor,
});

/**
 * Adam's checks, in torch's order: lr, eps, each beta, weight_decay (`0 <= value`, and
 * `beta < 1`), then the flags' types; capturable, differentiable and fused only false.
 */
export const ADAM_CHECKS: OptimizerChecks<AdamGroupOptions> = Object.freeze({
  options: {
    ...ADAM_LIKE_CHECKS,
    amsgrad: boolean,
    maximize: boolean,
    foreach: booleanOrNull,
    capturable: only(false, "Adam: capturable=true is not supported (there are no CUDA graphs)"),
    differentiable: only(false, "Adam: differentiable=true is not supported: minigrad's update runs under noGrad"),
    fused: only(false, "Adam: fused=true is not supported (torch's fused kernel is CUDA only)"),
  },
  state: ADAM_STATE_CHECKS,
});

/** The group options the Adam family's step reads. */
type AdamFamilyGroup = { lr: number; betas: readonly [number, number]; eps: number; weightDecay: number; amsgrad: boolean; maximize: boolean };

/** What distinguishes Adam and AdamW: their name in messages, defaults, checks, and where λ goes. */
export interface AdamFamilyConfig<O extends AdamFamilyGroup> {
  readonly name: "Adam" | "AdamW";
  readonly defaults: Readonly<O>;
  readonly checks: OptimizerChecks<O>;
  /** θ ← (1 − γλ)θ (AdamW) instead of g ← g + λθ (Adam). */
  readonly decoupled: boolean;
}

/**
 * The optimizer Adam and AdamW both are: the options resolved against the defaults and
 * checked, one step of `stepAdamFamily`, and torch's defaults for the options an older
 * checkpoint's groups lack (`__setstate__`).
 */
export abstract class AdamFamily<O extends AdamFamilyGroup> extends Optimizer<O> {
  readonly #family: AdamFamilyConfig<O>;

  protected constructor(family: AdamFamilyConfig<O>, params: Params<O>, options: object) {
    super(params, resolveOptions(family.name, family.defaults, options), family.checks);
    this.#family = family;
  }

  protected update(): void {
    stepAdamFamily(this.#family.name, this.paramGroups, this.state, this.#family.decoupled);
  }

  protected override loadDefaults(): Partial<O> {
    return this.#family.defaults;
  }
}

/**
 * Adam, exactly as `torch.optim.Adam` (PyTorch 1.13's for-loop implementation).
 *
 * For each parameter θ with gradient g (parameters whose `.grad` is null are skipped: no
 * state is created for them and their `step` does not advance), at step t = 1, 2, ...:
 *
 * ```text
 * g ← −g                             if maximize
 * g ← g + λθ                         if weightDecay λ ≠ 0 (L2; AdamW decays θ instead)
 * m ← β₁m + (1 − β₁)g                expAvg, starts at 0
 * v ← β₂v + (1 − β₂)g²               expAvgSq, starts at 0
 * v̂ ← max(v̂, v)                      maxExpAvgSq, if amsgrad (else v̂ = v)
 * d ← √v̂ / √(1 − β₂ᵗ) + ε
 * θ ← θ − (γ / (1 − β₁ᵗ)) · m / d
 * ```
 *
 * The bias corrections `1 − βᵗ`, `√(1 − β₂ᵗ)` and the step size `γ / (1 − β₁ᵗ)` are
 * computed in double, as torch computes them in Python, then rounded once to the
 * parameter's precision. Float32 is bit-identical to PyTorch's CPU kernels (the same
 * operations in the same order, their fused multiply-adds emulated exactly); float64
 * follows the same order in double. Each update is one pass over the typed arrays: in
 * float32 without amsgrad, a WebAssembly SIMD kernel (kernels/adam.wat) with the same bits.
 *
 * Differences from other libraries (minigrad does what torch does): eps is added after
 * the square root and after the bias correction of v (`√v / √(1 − β₂ᵗ) + ε`; Keras and
 * tfjs fold the corrections into lr, which moves eps: `ε·√(1 − β₂ᵗ)` in torch's terms);
 * `weightDecay` is an L2 term added to the gradient: use `AdamW` for decoupled decay.
 * `state.step` is a plain number (torch 1.13 keeps a 0-d tensor; one is read on load).
 *
 * @example
 * const opt = new Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.99] });
 */
export class Adam extends AdamFamily<AdamGroupOptions> {
  /**
   * @throws OptimizerError with torch's messages, checked in this order before the
   *   parameters: `Invalid learning rate: -1`, `Invalid epsilon value: -1`, `Invalid beta
   *   parameter at index 0: 1.5` (each beta must be in [0, 1)), `Invalid weight_decay value: -1`.
   */
  constructor(params: Params<AdamGroupOptions>, options: AdamOptions = {}) {
    super({ name: "Adam", defaults: ADAM_DEFAULTS, checks: ADAM_CHECKS, decoupled: false }, params, options);
  }
}

function adamBuffers(name: string, state: StateEntry, param: Tensor, group: AdamFamilyGroup, where = ""): AdamBuffers {
  const expAvg = checkOperand(name, "expAvg", state.expAvg, param, where);
  const expAvgSq = checkOperand(name, "expAvgSq", state.expAvgSq, param, where);
  const maxExpAvgSq = group.amsgrad
    ? checkOperand(name, "maxExpAvgSq", state.maxExpAvgSq, param, where, "amsgrad was turned on after it was created")
    : undefined;
  return { expAvg, expAvgSq, maxExpAvgSq };
}

/**
 * One step of Adam or AdamW over every group: every parameter, grad and state checked
 * before the first write, then state created lazily (`maxExpAvgSq` only if the group has
 * amsgrad then, as torch), `step` advanced and the update run.
 */
export function stepAdamFamily<O extends AdamFamilyGroup>(
  name: string, groups: readonly ParamGroup<O>[], state: Map<Tensor, StateEntry>, decoupled: boolean,
): void {
  const work = gatherWork(name, groups, state, (entry, param, group, where) => {
    adamBuffers(name, entry, param, group, where);
  });
  for (const { param, grad, group } of work) {
    const entry = stateFor(state, param, () => {
      const fresh: StateEntry = { step: 0, expAvg: zeroBuffer(param), expAvgSq: zeroBuffer(param) };
      if (group.amsgrad) fresh.maxExpAvgSq = zeroBuffer(param);
      return fresh;
    });
    const step = stepCount(entry.step) + 1;
    entry.step = step;
    adamFamilyUpdate(name, param, grad, adamBuffers(name, entry, param, group), group, step, decoupled);
  }
}

/** The options `adamUpdate` reads (a resolved parameter group has them all). */
export interface AdamHyperparameters {
  /** Learning rate γ; default 1e-3. */
  lr: number;
  /** Coefficients (β₁, β₂) of the running averages of g and g²; default [0.9, 0.999]. */
  betas: readonly [number, number];
  /** Term added to the denominator after the square root and bias correction; default 1e-8. */
  eps: number;
  /** λ (torch's weight_decay): g + λθ in Adam (default 0), θ·(1 − γλ) in AdamW (default 1e-2). */
  weightDecay: number;
  /** AMSGrad: divide by the running maximum of v (maxExpAvgSq); default false. */
  amsgrad: boolean;
  /** Maximize the objective (g ← −g first); default false. */
  maximize: boolean;
}

/** The scalars of one update, each formed in double and rounded once to the parameter's precision. */
interface Constants {
  B1: number;
  W1: number;
  B2: number;
  W2: number;
  EPS: number;
  WD: number;
  /** 1 − γλ (AdamW's decay factor of θ). */
  DECAY: number;
  /** √(1 − β₂ᵗ). */
  BC2: number;
  /** −γ / (1 − β₁ᵗ). */
  NSS: number;
  maximize: boolean;
  /** L2 weight decay added to the gradient (Adam). */
  decay: boolean;
  /** θ ← (1 − γλ)θ first (AdamW). */
  decoupled: boolean;
  amsgrad: boolean;
}

function constants(hp: AdamHyperparameters, step: number, decoupled: boolean, round: (x: number) => number): Constants {
  const [beta1, beta2] = hp.betas;
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2 = 1 - beta2 ** step;
  return {
    B1: round(beta1),
    W1: round(1 - beta1),
    B2: round(beta2),
    W2: round(1 - beta2),
    EPS: round(hp.eps),
    WD: round(hp.weightDecay),
    DECAY: round(1 - hp.lr * hp.weightDecay),
    BC2: round(Math.sqrt(biasCorrection2)),
    NSS: round(-(hp.lr / biasCorrection1)),
    maximize: hp.maximize,
    decay: !decoupled && hp.weightDecay !== 0,
    decoupled,
    amsgrad: hp.amsgrad,
  };
}

/*
 * Float32, operation by operation as torch's AVX2 kernels (torch-semantics.md §1.9), over
 * param (P), grad (G), expAvg (M), expAvgSq (V), maxExpAvgSq (X; aliases V without amsgrad):
 *   g = -g (maximize)
 *   g = fma(p, WD, g)                          Adam: grad.add(param, alpha=wd)
 *   p = r(p * DECAY)                           AdamW: param.mul_(1 - lr*wd)
 *   m = fma(g, W1, r(m*B1))                    exp_avg.mul_(beta1).add_(grad, alpha=1-beta1)
 *   v = fma(r(W2*g), g, r(v*B2))               exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2)
 *   x = max(x, v)                              torch.maximum(max_exp_avg_sq, exp_avg_sq, out=...) (NaN wins)
 *   d = r(r(r(sqrt(x)) / BC2) + EPS)           (x.sqrt() / bias_correction2_sqrt).add_(eps)
 *   p = r(p + r(r(NSS*m) / d))                 param.addcdiv_(exp_avg, denom, value=-step_size)
 */
function rowF32(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, M, V, X] = arrays;
  const fr = Math.fround;
  const { B1, W1, B2, W2, EPS, WD, DECAY, BC2, NSS, maximize, decay, decoupled, amsgrad } = c;
  let pi = off[0], gi = off[1], mi = off[2], vi = off[3], xi = off[4];
  const ps = inc[0], gs = inc[1], ms = inc[2], vs = inc[3], xs = inc[4];
  for (let i = 0; i < n; i++) {
    let p = P[pi];
    let g = maximize ? -G[gi] : G[gi];
    if (decay) g = fma32(p, WD, g);
    if (decoupled) p = fr(p * DECAY);
    const m = fma32(g, W1, fr(M[mi] * B1));
    M[mi] = m;
    let v = fma32(fr(W2 * g), g, fr(V[vi] * B2));
    V[vi] = v;
    if (amsgrad) {
      v = Math.max(X[xi], v);
      X[xi] = v;
    }
    const d = fr(fr(fr(Math.sqrt(v)) / BC2) + EPS);
    P[pi] = fr(p + fr(fr(NSS * m) / d));
    pi += ps; gi += gs; mi += ms; vi += vs; xi += xs;
  }
}

/** Float64: the same operations in the same order, each a double op (a*b + c for torch's FMAs). */
function rowF64(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, M, V, X] = arrays;
  const { B1, W1, B2, W2, EPS, WD, DECAY, BC2, NSS, maximize, decay, decoupled, amsgrad } = c;
  let pi = off[0], gi = off[1], mi = off[2], vi = off[3], xi = off[4];
  const ps = inc[0], gs = inc[1], ms = inc[2], vs = inc[3], xs = inc[4];
  for (let i = 0; i < n; i++) {
    let p = P[pi];
    let g = maximize ? -G[gi] : G[gi];
    if (decay) g = p * WD + g;
    if (decoupled) p *= DECAY;
    const m = g * W1 + M[mi] * B1;
    M[mi] = m;
    let v = W2 * g * g + V[vi] * B2;
    V[vi] = v;
    if (amsgrad) {
      v = Math.max(X[xi], v);
      X[xi] = v;
    }
    const d = Math.sqrt(v) / BC2 + EPS;
    P[pi] = p + (NSS * m) / d;
    pi += ps; gi += gs; mi += ms; vi += vs; xi += xs;
  }
}

/** Shared by `adamUpdate` and `adamwUpdate`: `decoupled` decays θ (AdamW) instead of adding λθ to g. */
export function adamFamilyUpdate(
  name: string, param: Tensor, grad: Tensor, buffers: AdamBuffers, hp: AdamHyperparameters, step: number,
  decoupled: boolean,
): void {
  checkParamAndGrad(name, param, grad);
  const m = checkOperand(name, "expAvg", buffers.expAvg, param);
  const v = checkOperand(name, "expAvgSq", buffers.expAvgSq, param);
  const x = hp.amsgrad ? checkOperand(name, "maxExpAvgSq", buffers.maxExpAvgSq, param, "", "amsgrad was turned on after it was created") : v;
  // Float32 without amsgrad: the fused kernel (kernels/adam.ts) over param, grad, m and v.
  const fused = (c: Constants) => (c.amsgrad ? undefined : { kernel: adamF32, arity: 4, scalars: kernelScalars(c) });
  updateRows([param, grad, m, v, x], (round) => constants(hp, step, decoupled, round), rowF32, rowF64, fused);
}

/** The scalars of kernels/adam.ts's `adamF32`, in its order (flags as 1 or 0). */
function kernelScalars(c: Constants): number[] {
  return [c.B1, c.W1, c.B2, c.W2, c.BC2, c.EPS, c.NSS, c.WD, c.DECAY, +c.maximize, +c.decay, +c.decoupled];
}

/**
 * One Adam update of one parameter at step `step` (1 on the first update), in place,
 * exactly as torch's for-loop implementation (1.13): see `Adam`. Reads `grad` (never
 * modifies it); updates `param` and the buffers in one pass (any strides, no allocation).
 */
export function adamUpdate(param: Tensor, grad: Tensor, buffers: AdamBuffers, hp: AdamHyperparameters, step: number): void {
  adamFamilyUpdate("Adam", param, grad, buffers, hp, step, false);
}
