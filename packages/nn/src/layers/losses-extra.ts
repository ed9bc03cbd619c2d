import type { Tensor } from "@minigrad/tensor";
import {
  binaryCrossEntropy, huberLoss, klDiv, l1Loss, smoothL1Loss, type KLDivReduction,
} from "../functional/regression-losses";
import { checkReduction, type Reduction } from "../functional/util";
import { Module } from "../module";

/** Mean absolute error |input - target|, reduced, as torch.nn.L1Loss; see `F.l1Loss`. */
export class L1Loss extends Module {
  /** How the per-element losses combine ("mean", "sum" or "none"). */
  readonly reduction: Reduction;

  constructor({ reduction = "mean" }: { reduction?: Reduction } = {}) {
    super();
    this.reduction = checkReduction(reduction);
  }

  /** The loss of `input` against `target`, reduced. */
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/** Quadratic below `beta`, linear above, as torch.nn.SmoothL1Loss; see `F.smoothL1Loss`. */
export class SmoothL1Loss extends Module {
  /** How the per-element losses combine ("mean", "sum" or "none"). */
  readonly reduction: Reduction;
  /** Where the loss turns from quadratic to linear. */
  readonly beta: number;

  constructor({ reduction = "mean", beta = 1 }: { reduction?: Reduction; beta?: number } = {}) {
    super();
    this.reduction = checkReduction(reduction);
    this.beta = beta;
  }

  /** The loss of `input` against `target`, reduced. */
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** Quadratic below `delta`, linear (slope delta) above, as torch.nn.HuberLoss; see `F.huberLoss`. */
export class HuberLoss extends Module {
  /** How the per-element losses combine ("mean", "sum" or "none"). */
  readonly reduction: Reduction;
  /** Where the loss turns from quadratic to linear. */
  readonly delta: number;

  constructor({ reduction = "mean", delta = 1 }: { reduction?: Reduction; delta?: number } = {}) {
    super();
    this.reduction = checkReduction(reduction);
    this.delta = delta;
  }

  /** The loss of `input` against `target`, reduced. */
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/**
 * Binary cross entropy of probabilities in [0, 1], as torch.nn.BCELoss; see
 * `F.binaryCrossEntropy`. `weight` is a buffer (saved in the state dict).
 */
export class BCELoss extends Module {
  /** The per-element loss weight (a buffer), or null. */
  declare readonly weight: Tensor | null;
  /** How the per-element losses combine ("mean", "sum" or "none"). */
  readonly reduction: Reduction;

  constructor({ weight = null, reduction = "mean" }: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    super();
    this.registerBuffer("weight", weight);
    this.reduction = checkReduction(reduction);
  }

  /** The loss of probabilities `input` against targets of the same shape. */
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** The KL divergence of the target from log-probabilities, as torch.nn.KLDivLoss; see `F.klDiv`. */
export class KLDivLoss extends Module {
  /** "mean" (over every element), "batchmean", "sum" or "none". */
  readonly reduction: KLDivReduction;
  /** Whether the target holds log-probabilities. */
  readonly logTarget: boolean;

  constructor({ reduction = "mean", logTarget = false }: { reduction?: KLDivReduction; logTarget?: boolean } = {}) {
    super();
    this.reduction = reduction === "batchmean" ? reduction : checkReduction(reduction);
    this.logTarget = logTarget;
  }

  /** The divergence of `target` from `input` (log-probabilities), reduced. */
  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}
