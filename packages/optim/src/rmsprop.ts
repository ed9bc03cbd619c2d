import { Tensor, keep, zerosLike } from "@minigrad/tensor";
import { OptimizerError } from "./errors";
import { Optimizer } from "./optimizer";
import type { ParamGroup, Params } from "./param-groups";
import { rmspropUpdate, type RMSpropBuffers } from "./rmsprop-update";
import type { StateEntry } from "./state-dict";

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
  step: number;
}

// torch checks only `0 <= value` (so NaN fails, and alpha = 2 or momentum = 1.5 pass), in this order.
const CHECKS: readonly [keyof RMSpropGroupOptions, string][] = [
  ["lr", "learning rate"],
  ["eps", "epsilon value"],
  ["momentum", "momentum value"],
  ["weightDecay", "weight_decay value"],
  ["alpha", "alpha value"],
];

function resolveOptions(options: RMSpropOptions): RMSpropGroupOptions {
  const resolved: Record<string, unknown> = { ...RMSPROP_DEFAULTS };
  for (const [key, value] of Object.entries(options)) {
    if (!(key in RMSPROP_DEFAULTS)) throw new TypeError(`RMSprop got an unexpected option '${key}'`);
    if (value !== undefined) resolved[key] = value;
  }
  if (resolved.differentiable !== false) {
    throw new OptimizerError("RMSprop: differentiable=true is not supported: minigrad's update runs under noGrad");
  }
  for (const [key, what] of CHECKS) {
    const value = resolved[key];
    if (typeof value !== "number" || !(0 <= value)) throw new OptimizerError(`Invalid ${what}: ${String(value)}`);
  }
  return resolved as unknown as RMSpropGroupOptions;
}

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
    super(params, resolveOptions(options));
  }

  protected update(): void {
    for (const group of this.paramGroups) {
      // Gather first, as torch's step does: a state that lacks a buffer the group now needs
      // throws before any parameter of the group is touched.
      const work = group.params.flatMap((param) => {
        const grad = param.grad;
        if (grad === null) return [];
        const state = this.stateOf(param, group);
        return [{ param, grad, state, buffers: buffers(state, group) }];
      });
      for (const { param, grad, state, buffers } of work) {
        state.step = stepCount(state.step) + 1;
        rmspropUpdate(param, grad, buffers, group);
      }
    }
  }

  /** The state of `param`, created on its first step with the group's options of that time. */
  private stateOf(param: Tensor, group: ParamGroup<RMSpropGroupOptions>): StateEntry {
    const existing = this.state.get(param);
    if (existing !== undefined && Object.keys(existing).length > 0) return existing;
    // As torch: buffers exist only for what the group used when the state was created;
    // turning momentum or centered on later makes the next step throw.
    // keep: the state outlives the tidy scope (if any) of the step that creates it
    const state: StateEntry = { step: 0, squareAvg: keep(zerosLike(param)) };
    if (group.momentum > 0) state.momentumBuffer = keep(zerosLike(param));
    if (group.centered) state.gradAvg = keep(zerosLike(param));
    this.state.set(param, state);
    return state;
  }

  /** Options missing from an older checkpoint's groups get torch's defaults. */
  protected override loadDefaults(): Partial<RMSpropGroupOptions> {
    return RMSPROP_DEFAULTS;
  }
}

/** `step` is a plain number; a 0-d tensor (a PyTorch 2.x checkpoint) is read as its value. */
function stepCount(step: unknown): number {
  if (typeof step === "number") return step;
  if (step instanceof Tensor && step.numel === 1) return step.item();
  return 0;
}

function optionalTensor(value: unknown): Tensor | undefined {
  return value instanceof Tensor ? value : undefined;
}

/** The state's buffers, checked against what the group's options need (torch: a KeyError). */
function buffers(state: StateEntry, group: ParamGroup<RMSpropGroupOptions>): RMSpropBuffers {
  const missing = (name: string, why: string) =>
    new OptimizerError(`RMSprop: the parameter's state has no ${name}${why && ` (${why})`}`);
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
