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

export class MSELoss extends Module {
  readonly reduction: Reduction;

  constructor({ reduction = "mean" }: { reduction?: Reduction } = {}) {
    super();
    this.reduction = checkReduction(reduction);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

export interface CrossEntropyLossOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}

export class CrossEntropyLoss extends Module {
  declare readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly reduction: Reduction;
  readonly labelSmoothing: number;

  constructor({ weight = null, ignoreIndex = -100, reduction = "mean", labelSmoothing = 0 }: CrossEntropyLossOptions = {}) {
    super();
    this.registerBuffer("weight", weight);
    this.ignoreIndex = ignoreIndex;
    this.reduction = checkReduction(reduction);
    this.labelSmoothing = labelSmoothing;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    const { weight, ignoreIndex, reduction, labelSmoothing } = this;
    return crossEntropy(input, target, { weight, ignoreIndex, reduction, labelSmoothing });
  }
}

export interface NLLLossOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
}

export class NLLLoss extends Module {
  declare readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly reduction: Reduction;

  constructor({ weight = null, ignoreIndex = -100, reduction = "mean" }: NLLLossOptions = {}) {
    super();
    this.registerBuffer("weight", weight);
    this.ignoreIndex = ignoreIndex;
    this.reduction = checkReduction(reduction);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

export interface BCEWithLogitsLossOptions {
  weight?: Tensor | null;
  posWeight?: Tensor | null;
  reduction?: Reduction;
}

export class BCEWithLogitsLoss extends Module {
  declare readonly weight: Tensor | null;
  declare readonly posWeight: Tensor | null;
  readonly reduction: Reduction;

  constructor({ weight = null, posWeight = null, reduction = "mean" }: BCEWithLogitsLossOptions = {}) {
    super();
    this.registerBuffer("weight", weight);
    this.registerBuffer("posWeight", posWeight);
    this.reduction = checkReduction(reduction);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    const { weight, posWeight, reduction } = this;
    return binaryCrossEntropyWithLogits(input, target, { weight, posWeight, reduction });
  }
}
