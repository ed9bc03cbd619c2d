import { ArgumentError, ones, zeros, type Tensor } from "@minigrad/tensor";
import { pyBool, pyFloat } from "../format";
import { groupNorm } from "../functional/group-norm";
import { Module } from "../module";
import { Parameter } from "../parameter";

/** Options of `GroupNorm`; the defaults are torch's. */
export interface GroupNormOptions {
  /** Added to the variance before the square root (1e-5). */
  eps?: number;
  /** Learn a per-channel scale (starting at 1) and shift (starting at 0); default true. */
  affine?: boolean;
  /** The dtype of weight and bias; float32 by default. */
  dtype?: "float32" | "float64";
}

/**
 * Group normalisation, as torch.nn.GroupNorm: the channels of an input (N, C, *) are split
 * into `numGroups` groups and each sample's group is normalised over its channels and
 * positions, then scaled and shifted per channel (`F.groupNorm`). No running statistics:
 * training and evaluation compute the same.
 */
export class GroupNorm extends Module {
  /** The number of groups the channels are split into. */
  readonly numGroups: number;
  /** The number of channels C, divisible by numGroups. */
  readonly numChannels: number;
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Whether `weight` and `bias` exist. */
  readonly affine: boolean;
  /** The per-channel scale (C), starting at 1; null without affine. */
  weight: Parameter | null;
  /** The per-channel shift (C), starting at 0; null without affine. */
  bias: Parameter | null;

  constructor(numGroups: number, numChannels: number, options: GroupNormOptions = {}) {
    super();
    const { eps = 1e-5, affine = true, dtype = "float32" } = options;
    if (numChannels % numGroups !== 0) throw new ArgumentError("num_channels must be divisible by num_groups");
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = eps;
    this.affine = affine;
    this.weight = affine ? new Parameter(ones([numChannels], { dtype })) : null;
    this.bias = affine ? new Parameter(zeros([numChannels], { dtype })) : null;
  }

  /** `F.groupNorm(input, numGroups, weight, bias, eps)` for input (N, C, *). */
  forward(input: Tensor): Tensor {
    return groupNorm(input, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}`;
  }
}
