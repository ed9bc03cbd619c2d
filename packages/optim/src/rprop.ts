import { fullLike, keep, type FloatArray, type Tensor } from "@minigrad/tensor";
import { Optimizer } from "./optimizer";
import {
  describeValue, optionChecks, type OptimizerChecks, type OptionCheck, type Params,
} from "./param-groups";
import {
  checkBuffers, checkParamAndGrad, gatherWork, resolveOptions, stateFor, stepCount, zeroBuffer,
} from "./update-checks";
import { updateRows } from "./update-rows";

/** Rprop's options as users pass them (each optional), with torch's names in camelCase. */
export type RpropOptions = {
  /** The initial step size of every element (1e-2). */
  lr?: number;
  /** [η₋, η₊]: the step size's factors when the gradient's sign flips or stays ([0.5, 1.2]). */
  etas?: readonly [number, number];
  /** [Γmin, Γmax]: the step size is clamped to this range ([1e-6, 50]). */
  stepSizes?: readonly [number, number];
  /** torch's multi-tensor switch; accepted for checkpoint compatibility (one implementation here). */
  foreach?: boolean | null;
  /** Maximize the objective instead of minimizing it. */
  maximize?: boolean;
};

/** Every option resolved: what each parameter group of an Rprop holds. */
export type RpropGroupOptions = Required<RpropOptions>;

/** torch's defaults, in torch 1.13's key order. */
export const RPROP_DEFAULTS: Readonly<RpropGroupOptions> = Object.freeze({
  lr: 1e-2,
  etas: Object.freeze([0.5, 1.2] as const),
  stepSizes: Object.freeze([1e-6, 50] as const),
  foreach: null,
  maximize: false,
});

/** Rprop's per-parameter state. */
export interface RpropState {
  /** The number of updates of this parameter (torch's step, an int there). */
  step: number;
  /** The previous step's gradient (zero where its sign flipped). */
  prev: Tensor;
  /** Each element's current step size, starting at lr. */
  stepSize: Tensor;
}

const { nonNegative, boolean, booleanOrNull, stepCount: isStepCount, tensor: isTensor } = optionChecks;

const isPair = (value: unknown): value is [number, number] =>
  Array.isArray(value) && value.length === 2 && value.every((x) => typeof x === "number");

/** torch's `0.0 < etas[0] < 1.0 < etas[1]`: `Invalid eta values: 1.5, 1.2`. */
const etasCheck: OptionCheck = (value) => {
  if (!isPair(value)) return { kind: "type", message: `expected etas as two numbers [etaminus, etaplus], got ${describeValue(value)}` };
  const [minus, plus] = value;
  return 0 < minus && minus < 1 && 1 < plus
    ? undefined
    : { kind: "value", message: `Invalid eta values: ${describeValue(minus)}, ${describeValue(plus)}` };
};

/** torch does not check the step sizes; minigrad only checks that they are two numbers. */
const stepSizesCheck: OptionCheck = (value) =>
  isPair(value) ? undefined : { kind: "type", message: `expected stepSizes as two numbers [min, max], got ${describeValue(value)}` };

/** Rprop's checks, in torch's order: lr, then etas. */
export const RPROP_CHECKS: OptimizerChecks<RpropGroupOptions> = Object.freeze({
  options: {
    lr: nonNegative("learning rate"),
    etas: etasCheck,
    stepSizes: stepSizesCheck,
    foreach: booleanOrNull,
    maximize: boolean,
  },
  state: { step: isStepCount, prev: isTensor, stepSize: isTensor },
});

/**
 * Rprop (resilient backpropagation), exactly as `torch.optim.Rprop` (PyTorch 1.13's
 * for-loop implementation). Each element has its own step size η, which only the sign of
 * the gradient steers:
 *
 * ```text
 * g ← −g                                   if maximize
 * if g·g_prev > 0:  η ← min(η·η₊, Γmax)     the sign held: speed up
 * if g·g_prev < 0:  η ← max(η·η₋, Γmin);  g ← 0   it flipped: slow down, skip this element
 * θ ← θ − η·sign(g)
 * g_prev ← g                               prev, starts at 0; η starts at lr
 * ```
 *
 * Parameters whose `.grad` is null are skipped (no state, `step` does not advance). `lr`
 * is read once, when a parameter's state is created: later changes of `group.lr` (a
 * scheduler's) do not affect it, as in torch. Float32 is bit-identical to PyTorch's CPU
 * kernels (the product g·g_prev is rounded to float32 before its sign is taken, as torch
 * does, so it can underflow to 0); float64 is the same operations in double (and, having no
 * fused operation, also bit-identical). Each update is one pass without allocation.
 *
 * Differences from other libraries: this is Rprop without weight backtracking (iRprop⁻,
 * as torch): a flipped sign zeroes the gradient instead of undoing the previous step.
 *
 * @example
 * const opt = new Rprop(model.parameters(), { lr: 0.01, etas: [0.5, 1.2], stepSizes: [1e-6, 50] });
 */
export class Rprop extends Optimizer<RpropGroupOptions> {
  /**
   * @throws OptimizerError with torch's messages, checked in this order before the
   *   parameters: `Invalid learning rate: -1`, `Invalid eta values: 1.5, 1.2` (0 < η₋ < 1 < η₊).
   */
  constructor(params: Params<RpropGroupOptions>, options: RpropOptions = {}) {
    super(params, resolveOptions("Rprop", RPROP_DEFAULTS, options), RPROP_CHECKS);
  }

  protected update(): void {
    const work = gatherWork("Rprop", this.paramGroups, this.state, (entry, param, _group, where) => {
      checkBuffers("Rprop", entry, BUFFERS, param, where);
    });
    for (const { param, grad, group } of work) {
      const entry = stateFor(this.state, param, () => ({
        step: 0,
        prev: zeroBuffer(param),
        stepSize: keep(fullLike(param, group.lr)), // keep: as zeroBuffer's, the state outlives the step's tidy scope
      }));
      entry.step = stepCount(entry.step) + 1;
      rpropUpdate(param, grad, { prev: entry.prev as Tensor, stepSize: entry.stepSize as Tensor }, group);
    }
  }

  /** Options missing from an older checkpoint's groups get torch's defaults (`__setstate__`). */
  protected override loadDefaults(): Partial<RpropGroupOptions> {
    return RPROP_DEFAULTS;
  }
}

/** The state's tensors, in torch's order. */
const BUFFERS = ["prev", "stepSize"] as const;

/** The options `rpropUpdate` reads (a resolved parameter group has them all). */
export interface RpropHyperparameters {
  /** (η₋, η₊): step-size factors when the gradient's sign flips or holds; default [0.5, 1.2]. */
  etas: readonly [number, number];
  /** (Γmin, Γmax): each step size's bounds; torch's step_sizes, default [1e-6, 50]. */
  stepSizes: readonly [number, number];
  /** Maximize the objective (g ← −g first); default false. */
  maximize: boolean;
}

interface Constants {
  EM: number;
  EP: number;
  MIN: number;
  MAX: number;
  maximize: boolean;
  /** Rounding to the parameter's precision: fround for float32, the identity for float64. */
  r: (x: number) => number;
}

/*
 * One element, operation by operation as torch's kernels, with r = fround for float32 and
 * the identity for float64 (every operation here is a single correctly rounded one):
 *   s = sign(r(g * prev))                     grad.mul(prev).sign()
 *   s > 0 → EP; then s < 0 → EM; then s == 0 → 1   sign[sign.gt(0)] = etaplus, ... in torch's order
 *   η = min(max(r(η * s), MIN), MAX)          step_size.mul_(sign).clamp_(min, max) (NaN stays NaN)
 *   g = 0 where s == EM                       grad[sign.eq(etaminus)] = 0
 *   p = r(p + (−sign(g))·η)                   param.addcmul_(grad.sign(), step_size, value=-1): the product is exact
 *   prev = g
 */
function row(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, R, S] = arrays;
  const { EM, EP, MIN, MAX, maximize, r } = c;
  let pi = off[0], gi = off[1], ri = off[2], si = off[3];
  const ps = inc[0], gs = inc[1], rs = inc[2], ss = inc[3];
  for (let i = 0; i < n; i++) {
    let g = maximize ? -G[gi] : G[gi];
    let s = Math.sign(r(g * R[ri]));
    if (s > 0) s = EP;
    if (s < 0) s = EM;
    if (s === 0) s = 1;
    S[si] = Math.min(Math.max(r(S[si] * s), MIN), MAX);
    if (s === EM) g = 0;
    P[pi] = r(P[pi] - Math.sign(g) * S[si]);
    R[ri] = g;
    pi += ps; gi += gs; ri += rs; si += ss;
  }
}

/**
 * One Rprop update of one parameter, in place, exactly as torch's for-loop implementation
 * (1.13): see `Rprop`. Reads `grad` (never modifies it); updates `param`, `prev` and
 * `stepSize` in one pass (any strides, no allocation).
 */
export function rpropUpdate(
  param: Tensor, grad: Tensor, buffers: { prev: Tensor; stepSize: Tensor }, hp: RpropHyperparameters,
): void {
  checkParamAndGrad("Rprop", param, grad);
  const [prev, stepSize] = checkBuffers("Rprop", buffers, BUFFERS, param);
  const constants = (r: (x: number) => number): Constants => ({
    EM: r(hp.etas[0]), EP: r(hp.etas[1]), MIN: r(hp.stepSizes[0]), MAX: r(hp.stepSizes[1]), maximize: hp.maximize, r,
  });
  // One row for both precisions: every operation is a single correctly rounded one.
  updateRows([param, grad, prev, stepSize], constants, row, row);
}
