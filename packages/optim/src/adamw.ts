import type { Tensor } from "@minigrad/tensor";
import {
  ADAM_CHECKS, ADAM_STATE_CHECKS, AdamFamily, adamFamilyUpdate, type AdamBuffers, type AdamHyperparameters,
} from "./adam";
import { optionChecks, type OptimizerChecks, type Params } from "./param-groups";

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

const { lr, eps, betas, weightDecay, amsgrad, foreach, maximize } = ADAM_CHECKS.options ?? {};

/** AdamW's checks, Adam's in torch's order: lr, eps, each beta, weight_decay; then the flags' types. */
export const ADAMW_CHECKS: OptimizerChecks<AdamWGroupOptions> = Object.freeze({
  options: {
    lr, eps, betas, weightDecay, amsgrad, foreach, maximize,
    capturable: optionChecks.only(false, "AdamW: capturable=true is not supported (there are no CUDA graphs)"),
  },
  state: ADAM_STATE_CHECKS,
});

/**
 * AdamW (Adam with decoupled weight decay), exactly as `torch.optim.AdamW` (PyTorch
 * 1.13's for-loop implementation): `Adam`'s update (see there: moments, bias corrections,
 * maximize, amsgrad, bit-exactness, differences from other libraries), except that the
 * weight decay λ (default 0.01) multiplies θ before it instead of adding λθ to the gradient:
 *
 * ```text
 * θ ← (1 − γλ)θ                      then Adam's update of θ, with g left as it is
 * ```
 *
 * `1 − γλ` is formed in double, then rounded once. The decay follows lr schedules (torch's
 * choice; the AdamW paper scales λ by the schedule multiplier only).
 *
 * @example
 * const opt = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.01 });
 */
export class AdamW extends AdamFamily<AdamWGroupOptions> {
  /**
   * @throws OptimizerError with torch's messages, checked in this order before the
   *   parameters: `Invalid learning rate: -1`, `Invalid epsilon value: -1`, `Invalid beta
   *   parameter at index 1: 1` (each beta must be in [0, 1)), `Invalid weight_decay value: -1`.
   */
  constructor(params: Params<AdamWGroupOptions>, options: AdamWOptions = {}) {
    super({ name: "AdamW", defaults: ADAMW_DEFAULTS, checks: ADAMW_CHECKS, decoupled: true }, params, options);
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
