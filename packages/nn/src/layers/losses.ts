import type { Tensor } from "@minigrad/tensor";
import { crossEntropy } from "../functional/cross-entropy";
import { binaryCrossEntropyWithLogits, mseLoss } from "../functional/losses";
import { nllLoss } from "../functional/nll-loss";
import { checkReduction, type Reduction } from "../functional/util";
import { Module } from "../module";

/**
 * Loss modules: `forward(input, target)` calls the functional form with the options given
 * at construction. Class weights are buffers (saved in the state dict), as in torch.
 */

/** Mean squared error (input - target)^2, reduced, as torch.nn.MSELoss; see `F.mseLoss`. */
export class MSELoss extends Module {
  /** How the per-element losses combine ("mean", "sum" or "none"). */
  readonly reduction: Reduction;

  constructor({ reduction = "mean" }: { reduction?: Reduction } = {}) {
    super();
    this.reduction = checkReduction(reduction);
  }

  /** The loss of `input` against `target` (broadcast against it), reduced. */
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/** Options of `CrossEntropyLoss`, as `F.crossEntropy`'s; the defaults are torch's. */
export interface CrossEntropyLossOptions {
  /** One weight per class (a rescaling of each class's loss); none by default. */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing, not even to the mean's denominator (-100). */
  ignoreIndex?: number;
  /** How the per-sample losses combine: "mean" (default), "sum" or "none" (no reduction). */
  reduction?: Reduction;
  /** Mix the one-hot target with the uniform distribution: (1 - s) * onehot + s / C (0). */
  labelSmoothing?: number;
}

/**
 * Cross entropy of logits against class indices or probabilities, as torch.nn.CrossEntropyLoss;
 * see `F.crossEntropy`. `weight` is a buffer.
 *
 * @example
 * ```ts
 * const loss = new CrossEntropyLoss().forward(logits, labels); // logits (N, C), labels int32 (N)
 * ```
 */
export class CrossEntropyLoss extends Module {
  /** The class weights (a buffer, saved in the state dict), or null. */
  declare readonly weight: Tensor | null;
  /** The target value that contributes nothing. */
  readonly ignoreIndex: number;
  /** How the per-sample losses combine ("mean", "sum" or "none"). */
  readonly reduction: Reduction;
  /** The weight s of the uniform distribution in the smoothed target, in [0, 1]. */
  readonly labelSmoothing: number;

  constructor({ weight = null, ignoreIndex = -100, reduction = "mean", labelSmoothing = 0 }: CrossEntropyLossOptions = {}) {
    super();
    this.registerBuffer("weight", weight);
    this.ignoreIndex = ignoreIndex;
    this.reduction = checkReduction(reduction);
    this.labelSmoothing = labelSmoothing;
  }

  /** The loss of logits (C), (N, C) or (N, C, d1, ...) against int32 classes or probabilities. */
  forward(input: Tensor, target: Tensor): Tensor {
    const { weight, ignoreIndex, reduction, labelSmoothing } = this;
    return crossEntropy(input, target, { weight, ignoreIndex, reduction, labelSmoothing });
  }
}

/** Options of `NLLLoss`, as `F.nllLoss`'s; the defaults are torch's. */
export interface NLLLossOptions {
  /** One weight per class (a rescaling of each class's loss); none by default. */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing, not even to the mean's denominator (-100). */
  ignoreIndex?: number;
  /** How the per-sample losses combine: "mean" (default), "sum" or "none" (no reduction). */
  reduction?: Reduction;
}

/**
 * Negative log likelihood of log-probabilities against class indices, as torch.nn.NLLLoss;
 * see `F.nllLoss`. `weight` is a buffer.
 */
export class NLLLoss extends Module {
  /** The class weights (a buffer, saved in the state dict), or null. */
  declare readonly weight: Tensor | null;
  /** The target value that contributes nothing. */
  readonly ignoreIndex: number;
  /** How the per-sample losses combine ("mean", "sum" or "none"). */
  readonly reduction: Reduction;

  constructor({ weight = null, ignoreIndex = -100, reduction = "mean" }: NLLLossOptions = {}) {
    super();
    this.registerBuffer("weight", weight);
    this.ignoreIndex = ignoreIndex;
    this.reduction = checkReduction(reduction);
  }

  /** The loss of log-probabilities (C), (N, C) or (N, C, d1, ...) against int32 classes. */
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** Options of `BCEWithLogitsLoss`, as `F.binaryCrossEntropyWithLogits`'s. */
export interface BCEWithLogitsLossOptions {
  /** A rescaling of each element's loss, broadcast against the input; none by default. */
  weight?: Tensor | null;
  /** A weight on the positive term, one per class (broadcast along the last dim); none. */
  posWeight?: Tensor | null;
  /** How the per-element losses combine: "mean" (default), "sum" or "none" (no reduction). */
  reduction?: Reduction;
}

/**
 * Binary cross entropy on logits, as torch.nn.BCEWithLogitsLoss; see
 * `F.binaryCrossEntropyWithLogits`. `weight` and `posWeight` are buffers.
 */
export class BCEWithLogitsLoss extends Module {
  /** The per-element loss weight (a buffer, saved in the state dict), or null. */
  declare readonly weight: Tensor | null;
  /** The positive-term weight per class (a buffer, saved in the state dict), or null. */
  declare readonly posWeight: Tensor | null;
  /** How the per-element losses combine ("mean", "sum" or "none"). */
  readonly reduction: Reduction;

  constructor({ weight = null, posWeight = null, reduction = "mean" }: BCEWithLogitsLossOptions = {}) {
    super();
    this.registerBuffer("weight", weight);
    this.registerBuffer("posWeight", posWeight);
    this.reduction = checkReduction(reduction);
  }

  /** The loss of logits `input` against targets in [0, 1] of the same shape. */
  forward(input: Tensor, target: Tensor): Tensor {
    const { weight, posWeight, reduction } = this;
    return binaryCrossEntropyWithLogits(input, target, { weight, posWeight, reduction });
  }
}
