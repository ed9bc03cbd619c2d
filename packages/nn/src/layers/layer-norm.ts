import { ones, zeros, type Tensor } from "@minigrad/tensor";
import { pyBool, pyFloat, pyTuple } from "../format";
import { layerNorm } from "../functional/layer-norm";
import { Module } from "../module";
import { Parameter } from "../parameter";

export interface LayerNormOptions {
  eps?: number;
  /** Learn a per-element scale (starting at 1) and shift (starting at 0); default true. */
  elementwiseAffine?: boolean;
  dtype?: "float32" | "float64";
}

/** Normalises over the last dims (`normalizedShape`), then scales and shifts, as torch.nn.LayerNorm. */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
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

  forward(input: Tensor): Tensor {
    return layerNorm(input, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}
