import { fullLike, keep, type FloatArray, type Tensor } from "@minigrad/tensor";
import { fma32 } from "./fma";
import { Optimizer } from "./optimizer";
import { optionChecks, type OptimizerChecks, type Params } from "./param-groups";
import type { StateEntry } from "./state-dict";
import { checkOperand, checkParamAndGrad, gatherWork, resolveOptions, stateFor, stepCount } from "./update-checks";
import { updateRows } from "./update-rows";

/** Adagrad's options as users pass them (each optional), with torch's names in camelCase. */
export type AdagradOptions = {
  /** Learning rate γ (1e-2). */
  lr?: number;
  /** Learning-rate decay η: step t uses γ / (1 + (t − 1)η) (0). */
  lrDecay?: number;
  /** Added to the denominator after the square root (1e-10). */
  eps?: number;
  /** L2 penalty λ added to the gradient (0). */
  weightDecay?: number;
  /** The starting value of every element of `sum` (0). */
  initialAccumulatorValue?: number;
  /** torch's multi-tensor switch; accepted for checkpoint compatibility (one implementation here). */
  foreach?: boolean | null;
  /** Maximize the objective instead of minimizing it. */
  maximize?: boolean;
};

/** Every option resolved: what each parameter group of an Adagrad holds. */
export type AdagradGroupOptions = Required<AdagradOptions>;

/** torch's defaults, in torch 1.13's key order. */
export const ADAGRAD_DEFAULTS: Readonly<AdagradGroupOptions> = Object.freeze({
  lr: 1e-2,
  lrDecay: 0,
  eps: 1e-10,
  weightDecay: 0,
  initialAccumulatorValue: 0,
  foreach: null,
  maximize: false,
});

/** Adagrad's per-parameter state. */
export interface AdagradState {
  /** The number of updates of this parameter, t (torch's step, a 0-d tensor there). */
  step: number;
  /** s, the sum of the squared gradients (torch's sum); starts at initialAccumulatorValue. */
  sum: Tensor;
}

const { nonNegative, boolean, booleanOrNull, stepCount: isStepCount, tensor: isTensor } = optionChecks;

/** Adagrad's checks, in torch's order: lr, lr_decay, weight_decay, initial_accumulator_value, eps. */
export const ADAGRAD_CHECKS: OptimizerChecks<AdagradGroupOptions> = Object.freeze({
  options: {
    lr: nonNegative("learning rate"),
    lrDecay: nonNegative("lr_decay value"),
    weightDecay: nonNegative("weight_decay value"),
    initialAccumulatorValue: nonNegative("initial_accumulator_value value"),
    eps: nonNegative("epsilon value"),
    foreach: booleanOrNull,
    maximize: boolean,
  },
  state: { step: isStepCount, sum: isTensor },
});

/**
 * Adagrad, exactly as `torch.optim.Adagrad` (PyTorch 1.13's for-loop implementation).
 *
 * For each parameter θ with gradient g (parameters whose `.grad` is null are skipped and
 * their `step` does not advance), at step t = 1, 2, ...:
 *
 * ```text
 * g ← −g                             if maximize
 * g ← g + λθ                         if weightDecay λ ≠ 0
 * γₜ ← γ / (1 + (t − 1)η)            η: lrDecay (in double)
 * s ← s + g²                         sum, starts at initialAccumulatorValue
 * θ ← θ − γₜ g / (√s + ε)
 * ```
 *
 * Unlike the other optimizers, and as torch, the state of every parameter given to the
 * constructor is created by the constructor (`step` 0 and `sum` filled with the
 * constructor's `initialAccumulatorValue`, whatever a group says). Parameters added later
 * with `addParamGroup` get theirs on their first step (torch 1.13 raises a KeyError there).
 * Float32 is bit-identical to PyTorch's CPU kernels; float64 follows the same order in double.
 *
 * Differences from other libraries: eps is added after the square root (`√s + ε`; tfjs and
 * Keras put it inside, `√(s + ε)`), and the accumulator starts at 0 by default (Keras 0.1).
 *
 * @example
 * const opt = new Adagrad(model.parameters(), { lr: 0.1, lrDecay: 1e-4 });
 */
export class Adagrad extends Optimizer<AdagradGroupOptions> {
  /**
   * @throws OptimizerError with torch's messages, checked in this order before the
   *   parameters: `Invalid learning rate: -1`, `Invalid lr_decay value: -1`, `Invalid
   *   weight_decay value: -1`, `Invalid initial_accumulator_value value: -1`, `Invalid epsilon value: -1`.
   */
  constructor(params: Params<AdagradGroupOptions>, options: AdagradOptions = {}) {
    super(params, resolveOptions("Adagrad", ADAGRAD_DEFAULTS, options), ADAGRAD_CHECKS);
    for (const group of this.paramGroups) {
      for (const p of group.params) if (!this.state.has(p)) this.state.set(p, this.freshState(p));
    }
  }

  /** torch's `{ step: 0, sum: full_like(p, initial_accumulator_value) }`, with the constructor's value. */
  private freshState(param: Tensor): StateEntry {
    // keep: the state outlives the tidy scope (if any) it is created in
    return { step: 0, sum: keep(fullLike(param, this.defaults.initialAccumulatorValue)) };
  }

  protected update(): void {
    const work = gatherWork("Adagrad", this.paramGroups, this.state, (entry, param, _group, where) => {
      checkOperand("Adagrad", "sum", entry.sum, param, where);
    });
    for (const { param, grad, group } of work) {
      const entry = stateFor(this.state, param, () => this.freshState(param));
      const step = stepCount(entry.step) + 1;
      entry.step = step;
      adagradUpdate(param, grad, { sum: entry.sum as Tensor }, group, step);
    }
  }

  /** Options missing from an older checkpoint's groups get torch's defaults (`__setstate__`). */
  protected override loadDefaults(): Partial<AdagradGroupOptions> {
    return ADAGRAD_DEFAULTS;
  }
}

/** The options `adagradUpdate` reads (a resolved parameter group has them all). */
export interface AdagradHyperparameters {
  /** Learning rate γ, before the decay; default 1e-2. */
  lr: number;
  /** Learning-rate decay η: step t uses γ / (1 + (t − 1)η); torch's lr_decay, default 0. */
  lrDecay: number;
  /** Term added to the denominator after the square root, √s + ε; default 1e-10. */
  eps: number;
  /** L2 penalty λ added to the gradient (g + λθ); torch's weight_decay, default 0. */
  weightDecay: number;
  /** Maximize the objective (g ← −g first); default false. */
  maximize: boolean;
}

interface Constants {
  WD: number;
  EPS: number;
  /** −γ / (1 + (t − 1)η), formed in double. */
  NCLR: number;
  maximize: boolean;
  decay: boolean;
}

/*
 * Float32, operation by operation as torch's AVX2 kernels (torch-semantics.md §1.9):
 *   g = -g (maximize);  g = fma(p, WD, g)       grad.add(param, alpha=wd)
 *   s = fma(g, g, s)                            state_sum.addcmul_(grad, grad, value=1)
 *   d = r(r(sqrt(s)) + EPS)                     state_sum.sqrt().add_(eps)
 *   p = r(p + r(r(NCLR*g) / d))                 param.addcdiv_(grad, std, value=-clr)
 * With the default options at unit stride: `adagradPlainRowF32`, the same without the branches.
 */
function rowF32(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, S] = arrays;
  const fr = Math.fround;
  const { WD, EPS, NCLR, maximize, decay } = c;
  if (!maximize && !decay && inc[0] === 1 && inc[1] === 1 && inc[2] === 1) {
    adagradPlainRowF32(P, off[0], G, off[1], S, off[2], n, EPS, NCLR);
    return;
  }
  let pi = off[0], gi = off[1], si = off[2];
  const ps = inc[0], gs = inc[1], ss = inc[2];
  for (let i = 0; i < n; i++) {
    const p = P[pi];
    let g = maximize ? -G[gi] : G[gi];
    if (decay) g = fma32(p, WD, g);
    const s = fma32(g, g, S[si]);
    S[si] = s;
    const d = fr(fr(Math.sqrt(s)) + EPS);
    P[pi] = fr(p + fr(fr(NCLR * g) / d));
    pi += ps; gi += gs; si += ss;
  }
}

/** Float64: the same operations in the same order, each a double op. */
function rowF64(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, S] = arrays;
  const { WD, EPS, NCLR, maximize, decay } = c;
  let pi = off[0], gi = off[1], si = off[2];
  const ps = inc[0], gs = inc[1], ss = inc[2];
  for (let i = 0; i < n; i++) {
    const p = P[pi];
    let g = maximize ? -G[gi] : G[gi];
    if (decay) g = p * WD + g;
    const s = g * g + S[si];
    S[si] = s;
    const d = Math.sqrt(s) + EPS;
    P[pi] = p + (NCLR * g) / d;
    pi += ps; gi += gs; si += ss;
  }
}

/**
 * Adagrad's float32 update with the default options (no maximize or weight decay) over
 * unit-stride runs: rowF32 without the option branches, the reference of a future fused kernel.
 */
export function adagradPlainRowF32(
  P: FloatArray, pi: number, G: FloatArray, gi: number, S: FloatArray, si: number, n: number, EPS: number, NCLR: number,
): void {
  const fr = Math.fround;
  for (let i = 0; i < n; i++) {
    const g = G[gi + i];
    const s = fma32(g, g, S[si + i]);
    S[si + i] = s;
    P[pi + i] = fr(P[pi + i] + fr(fr(NCLR * g) / fr(fr(Math.sqrt(s)) + EPS)));
  }
}

/**
 * One Adagrad update of one parameter at step `step` (1 on the first update), in place,
 * exactly as torch's for-loop implementation (1.13): see `Adagrad`. Reads `grad` (never
 * modifies it); updates `param` and `sum` in one pass (any strides, no allocation).
 */
export function adagradUpdate(
  param: Tensor, grad: Tensor, buffers: { sum: Tensor }, hp: AdagradHyperparameters, step: number,
): void {
  checkParamAndGrad("Adagrad", param, grad);
  const sum = checkOperand("Adagrad", "sum", buffers.sum, param);
  const constants = (round: (x: number) => number): Constants => ({
    WD: round(hp.weightDecay),
    EPS: round(hp.eps),
    NCLR: round(-(hp.lr / (1 + (step - 1) * hp.lrDecay))),
    maximize: hp.maximize,
    decay: hp.weightDecay !== 0,
  });
  updateRows([param, grad, sum], constants, rowF32, rowF64);
}
