import { ones, zeros, type Tensor } from "@minigrad/tensor";
import { pyBool, pyFloat, pyTuple } from "../format";
import { layerNorm } from "../functional/layer-norm";
import { Module } from "../module";
import { Parameter } from "../parameter";

/** Options of `LayerNorm`. */
export interface LayerNormOptions {
  /** Added to the variance before the square root, for stability (1e-5). */
  eps?: number;
  /** Learn a per-element scale (starting at 1) and shift (starting at 0); default true. */
  elementwiseAffine?: boolean;
  /** The dtype of weight and bias; float32 by default. */
  dtype?: "float32" | "float64";
}

/** Normalises over the last dims (`normalizedShape`), then scales and shifts, as torch.nn.LayerNorm. */
export class LayerNorm extends Module {
  /** The trailing dims normalised over (a number is taken as `[n]`). */
  readonly normalizedShape: readonly number[];
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Whether `weight` and `bias` exist (learned scale and shift). */
  readonly elementwiseAffine: boolean;
  /** The per-element scale, of `normalizedShape`, starting at 1; null without affine. */
  weight: Parameter | null;
  /** The per-element shift, of `normalizedShape`, starting at 0; null without affine. */
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const { eps = 1e-5, elementwiseAffine = true, dtype = "float32" } = options;
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    this.eps = eps;
    this.elementwiseAffine = elementwiseAffine;
    this.weight = elementwiseAffine ? new Parameter(ones(this.normalizedShape, { dtype })) : null;
    this.bias = elementwiseAffine ? new Parameter(zeros(this.normalizedShape, { dtype })) : null;
  }

  /** (x - mean) / sqrt(var + eps) * weight + bias over the last dims (`F.layerNorm`). */
  forward(input: Tensor): Tensor {
    return layerNorm(input, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}
