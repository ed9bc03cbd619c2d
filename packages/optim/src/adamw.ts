import type { Tensor } from "@minigrad/tensor";
import {
  ADAM_STATE_CHECKS, adamFamilyUpdate, betasCheck, stepAdamFamily, type AdamBuffers, type AdamHyperparameters,
} from "./adam";
import { Optimizer } from "./optimizer";
import { optionChecks, type OptimizerChecks, type Params } from "./param-groups";
import { resolveOptions } from "./update-checks";

/** AdamW's options as users pass them (each optional), with torch's names in camelCase. */
export type AdamWOptions = {
  /** Learning rate γ (1e-3). */
  lr?: number;
  /** β₁, β₂: decay rates of the gradient's and squared gradient's averages ([0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator after the square root (1e-8). */
  eps?: number;
  /** Decoupled weight decay λ: θ ← (1 − γλ)θ each step (1e-2). */
  weightDecay?: number;
  /** Normalize by the running maximum of the second moment (AMSGrad). */
  amsgrad?: boolean;
  /** torch's multi-tensor switch; accepted for checkpoint compatibility (one implementation here). */
  foreach?: boolean | null;
  /** Maximize the objective instead of minimizing it. */
  maximize?: boolean;
  /** torch's CUDA-graph option; only false. */
  capturable?: boolean;
};

/** Every option resolved: what each parameter group of an AdamW holds. */
export type AdamWGroupOptions = Required<AdamWOptions>;

/** torch's defaults, in torch 1.13's key order (AdamW's differs from Adam's). */
export const ADAMW_DEFAULTS: Readonly<AdamWGroupOptions> = Object.freeze({
  lr: 1e-3,
  betas: Object.freeze([0.9, 0.999] as const),
  eps: 1e-8,
  weightDecay: 1e-2,
  amsgrad: false,
  foreach: null,
  maximize: false,
  capturable: false,
});

const { nonNegative, boolean, booleanOrNull, only } = optionChecks;

/** AdamW's checks, in torch's order: lr, eps, each beta, weight_decay; then the flags' types. */
export const ADAMW_CHECKS: OptimizerChecks<AdamWGroupOptions> = Object.freeze({
  options: {
    lr: nonNegative("learning rate"),
    eps: nonNegative("epsilon value"),
    betas: betasCheck,
    weightDecay: nonNegative("weight_decay value"),
    amsgrad: boolean,
    foreach: booleanOrNull,
    maximize: boolean,
    capturable: only(false, "AdamW: capturable=true is not supported (there are no CUDA graphs)"),
  },
  state: ADAM_STATE_CHECKS,
});

/**
 * AdamW (Adam with decoupled weight decay), exactly as `torch.optim.AdamW` (PyTorch
 * 1.13's for-loop implementation).
 *
 * For each parameter θ with gradient g (parameters whose `.grad` is null are skipped), at
 * step t = 1, 2, ...:
 *
 * ```text
 * g ← −g                             if maximize
 * θ ← (1 − γλ)θ                      decoupled weight decay (λ = weightDecay, default 0.01)
 * m ← β₁m + (1 − β₁)g                expAvg, starts at 0
 * v ← β₂v + (1 − β₂)g²               expAvgSq, starts at 0
 * v̂ ← max(v̂, v)                      maxExpAvgSq, if amsgrad (else v̂ = v)
 * d ← √v̂ / √(1 − β₂ᵗ) + ε
 * θ ← θ − (γ / (1 − β₁ᵗ)) · m / d
 * ```
 *
 * As `Adam`, float32 is bit-identical to PyTorch's CPU kernels and float64 follows the
 * same order in double; `1 − γλ` and the bias corrections are formed in double, then
 * rounded once. The decay multiplies θ by `1 − γλ`, so it follows lr schedules (torch's
 * choice; the AdamW paper scales λ by the schedule multiplier only).
 *
 * @example
 * const opt = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.01 });
 */
export class AdamW extends Optimizer<AdamWGroupOptions> {
  /**
   * @throws OptimizerError with torch's messages, checked in this order before the
   *   parameters: `Invalid learning rate: -1`, `Invalid epsilon value: -1`, `Invalid beta
   *   parameter at index 1: 1` (each beta must be in [0, 1)), `Invalid weight_decay value: -1`.
   */
  constructor(params: Params<AdamWGroupOptions>, options: AdamWOptions = {}) {
    super(params, resolveOptions("AdamW", ADAMW_DEFAULTS, options), ADAMW_CHECKS);
  }

  protected update(): void {
    stepAdamFamily("AdamW", this.paramGroups, this.state, true);
  }

  /** Options missing from an older checkpoint's groups get torch's defaults (`__setstate__`). */
  protected override loadDefaults(): Partial<AdamWGroupOptions> {
    return ADAMW_DEFAULTS;
  }
}

/**
 * One AdamW update of one parameter at step `step` (1 on the first update), in place,
 * exactly as torch's for-loop implementation (1.13): see `AdamW`. Reads `grad` (never
 * modifies it); updates `param` and the buffers in one pass (any strides, no allocation).
 */
export function adamwUpdate(param: Tensor, grad: Tensor, buffers: AdamBuffers, hp: AdamHyperparameters, step: number): void {
  adamFamilyUpdate("AdamW", param, grad, buffers, hp, step, true);
}
