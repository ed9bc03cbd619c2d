import { Tensor } from "@minigrad/tensor";
import { OptimizerError } from "./errors";
import { Optimizer } from "./optimizer";
import { optionChecks, type OptimizerChecks, type ParamGroup, type Params } from "./param-groups";
import { rmspropUpdate, type RMSpropBuffers } from "./rmsprop-update";
import type { StateEntry } from "./state-dict";
import { checkOperand, gatherWork, resolveOptions, stateFor, stepCount, zeroBuffer } from "./update-checks";

/**
 * RMSprop's options as users pass them (each optional), with torch's names in camelCase.
 * (A type alias rather than an interface, so that a group built from it is assignable to
 * `ParamGroupInput`, which admits extra keys.)
 */
export type RMSpropOptions = {
  /** Learning rate γ (0.01). */
  lr?: number;
  /** Momentum factor μ (0: no momentum buffer). */
  momentum?: number;
  /** Smoothing constant α of the squared-gradient average (0.99). */
  alpha?: number;
  /** Added to the denominator after the square root (1e-8). */
  eps?: number;
  /** Normalize by the estimated variance of the gradient instead of its second moment. */
  centered?: boolean;
  /** L2 penalty λ added to the gradient (0). */
  weightDecay?: number;
  /** torch's multi-tensor switch; accepted for checkpoint compatibility (one implementation here). */
  foreach?: boolean | null;
  /** Maximize the objective instead of minimizing it. */
  maximize?: boolean;
  /** torch's differentiable step; only false is supported (the update runs under noGrad). */
  differentiable?: boolean;
};

/** Every option resolved: what each parameter group of an RMSprop holds. */
export type RMSpropGroupOptions = Required<RMSpropOptions>;

/** torch's defaults, in torch's key order (which fixes the key order of every group). */
export const RMSPROP_DEFAULTS: Readonly<RMSpropGroupOptions> = Object.freeze({
  lr: 0.01,
  momentum: 0,
  alpha: 0.99,
  eps: 1e-8,
  centered: false,
  weightDecay: 0,
  foreach: null,
  maximize: false,
  differentiable: false,
});

/** RMSprop's per-parameter state (`momentumBuffer` only with momentum, `gradAvg` only when centered). */
export interface RMSpropState extends RMSpropBuffers {
  /** The number of steps that updated this parameter (saved as torch's `step`). */
  step: number;
}

const { nonNegative, boolean, booleanOrNull, only, stepCount: isStepCount, tensor: isTensor } = optionChecks;

/**
 * RMSprop's checks, declared once: the constructor runs the option checks on its options,
 * `loadStateDict` on every loaded group (and the state checks on every loaded state).
 * torch checks only `0 <= value` (so NaN fails, and alpha = 2 or momentum = 1.5 pass), in
 * this order; minigrad also refuses differentiable=true (first, as before) and flags of
 * the wrong type.
 */
export const RMSPROP_CHECKS: OptimizerChecks<RMSpropGroupOptions> = Object.freeze({
  options: {
    differentiable: only(false, "RMSprop: differentiable=true is not supported: minigrad's update runs under noGrad"),
    lr: nonNegative("learning rate"),
    eps: nonNegative("epsilon value"),
    momentum: nonNegative("momentum value"),
    weightDecay: nonNegative("weight_decay value"),
    alpha: nonNegative("alpha value"),
    centered: boolean,
    foreach: booleanOrNull,
    maximize: boolean,
  },
  state: { step: isStepCount, squareAvg: isTensor, momentumBuffer: isTensor, gradAvg: isTensor },
});

/**
 * RMSprop, exactly as `torch.optim.RMSprop` (PyTorch 1.13's for-loop implementation).
 *
 * For each parameter θ with gradient g (parameters whose `.grad` is null are skipped: no
 * state is created for them and their `step` does not advance):
 *
 * ```text
 * g ← −g                          if maximize
 * g ← g + λθ                      if weightDecay λ ≠ 0
 * v ← αv + (1 − α)g²              squareAvg, starts at 0
 * if centered:
 *   ḡ ← αḡ + (1 − α)g             gradAvg, starts at 0
 *   d ← √(v − ḡ²) + ε             NaN if rounding makes v − ḡ² negative (torch does not clamp)
 * else:
 *   d ← √v + ε
 * if momentum μ > 0:
 *   b ← μb + g/d;  θ ← θ − γb     momentumBuffer, starts at 0
 * else:
 *   θ ← θ − γg/d
 * ```
 *
 * Float32 is bit-identical to PyTorch's CPU kernels (same operation order, with their fused
 * multiply-adds emulated exactly); float64 follows the same order in double precision.
 * Each update is a single pass over the typed arrays, under no-grad, allocating nothing.
 *
 * Differences from other libraries (minigrad does what torch does):
 * - eps is added after the square root, `√v + ε`; TensorFlow/Keras, tfjs and optax add it
 *   inside, `√(v + ε)`.
 * - lr is applied when the momentum buffer is added to θ, not folded into the buffer
 *   (TensorFlow and tfjs accumulate `lr·g/d`, which differs once lr changes over time).
 * - squareAvg starts at 0 (TF1's RMSPropOptimizer started at 1), so the first step moves
 *   each parameter by about 10·lr with α = 0.99; the defaults differ too (TF: ρ = 0.9).
 *
 * @example
 * const opt = new RMSprop(model.parameters(), { lr: 1e-3, momentum: 0.9 });
 * for (const [x, y] of batches) {
 *   opt.zeroGrad();
 *   F.crossEntropy(model.forward(x), y).backward();
 *   opt.step();
 * }
 */
export class RMSprop extends Optimizer<RMSpropGroupOptions> {
  /**
   * @throws OptimizerError with torch's message when lr, eps, momentum, weightDecay or
   *   alpha is negative or NaN (`Invalid learning rate: -1`), checked in that order and
   *   before the parameters.
   */
  constructor(params: Params<RMSpropGroupOptions>, options: RMSpropOptions = {}) {
    super(params, resolveOptions("RMSprop", RMSPROP_DEFAULTS, options), RMSPROP_CHECKS);
  }

  protected update(): void {
    // Check every parameter, grad and state of every group before the first write (torch
    // gathers group by group, so a bad parameter in group 1 throws after group 0 moved):
    // a disposed or mis-typed tensor, or a state lacking a buffer the group now needs,
    // throws with no parameter, buffer or step count changed and no state created.
    const work = gatherWork("RMSprop", this.paramGroups, this.state, (entry, param, group, where) => {
      checkBuffers(param, buffers(entry, group, where), where);
    });
    for (const { param, grad, group } of work) {
      const state = stateFor(this.state, param, () => freshState(param, group));
      state.step = stepCount(state.step) + 1;
      rmspropUpdate(param, grad, buffers(state, group), group);
    }
  }

  /** Options missing from an older checkpoint's groups get torch's defaults. */
  protected override loadDefaults(): Partial<RMSpropGroupOptions> {
    return RMSPROP_DEFAULTS;
  }
}

/**
 * The state of a parameter's first step, with the group's options of that time. As torch:
 * buffers exist only for what the group used then; turning momentum or centered on later
 * makes the next step throw.
 */
function freshState(param: Tensor, group: ParamGroup<RMSpropGroupOptions>): StateEntry {
  const state: StateEntry = { step: 0, squareAvg: zeroBuffer(param) };
  if (group.momentum > 0) state.momentumBuffer = zeroBuffer(param);
  if (group.centered) state.gradAvg = zeroBuffer(param);
  return state;
}

function optionalTensor(value: unknown): Tensor | undefined {
  return value instanceof Tensor ? value : undefined;
}

/** The state's buffers, checked against what the group's options need (torch: a KeyError). */
function buffers(state: StateEntry, group: ParamGroup<RMSpropGroupOptions>, where = ""): RMSpropBuffers {
  const missing = (name: string, why: string) =>
    new OptimizerError(`RMSprop: the parameter's state has no ${name}${why && ` (${why})`}${where && `, for ${where}`}`);
  const { squareAvg, momentumBuffer, gradAvg } = state;
  if (!(squareAvg instanceof Tensor)) throw missing("squareAvg", "");
  if (group.momentum > 0 && !(momentumBuffer instanceof Tensor)) {
    throw missing("momentumBuffer", "momentum was turned on after it was created");
  }
  if (group.centered && !(gradAvg instanceof Tensor)) {
    throw missing("gradAvg", "centered was turned on after it was created");
  }
  return { squareAvg, momentumBuffer: optionalTensor(momentumBuffer), gradAvg: optionalTensor(gradAvg) };
}

/** Each buffer the update will use must be usable and shaped and typed like its parameter. */
function checkBuffers(param: Tensor, b: RMSpropBuffers, where: string): void {
  checkOperand("RMSprop", "squareAvg", b.squareAvg, param, where);
  if (b.momentumBuffer !== undefined) checkOperand("RMSprop", "momentumBuffer", b.momentumBuffer, param, where);
  if (b.gradAvg !== undefined) checkOperand("RMSprop", "gradAvg", b.gradAvg, param, where);
}
