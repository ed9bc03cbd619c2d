import { Tensor, zeros, type Generator } from "@minigrad/tensor";
import { pyBool } from "../format";
import { linear } from "../functional/linear";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "../init";
import { Module } from "../module";
import { Parameter } from "../parameter";

/** Options of `Linear`. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** The dtype of weight and bias; float32 by default. */
  dtype?: "float32" | "float64";
  /** Where the initial values come from (the seeded default generator otherwise). */
  generator?: Generator;
}

/**
 * y = x W^T + b, with weight (outFeatures, inFeatures) and bias (outFeatures), as
 * torch.nn.Linear, including its default initialisation: weight kaiming-uniform with
 * a = sqrt(5), i.e. U(-1/sqrt(inFeatures), 1/sqrt(inFeatures)), and bias from the same range.
 */
export class Linear extends Module {
  /** The size of each input sample (the last dim). */
  readonly inFeatures: number;
  /** The size of each output sample. */
  readonly outFeatures: number;
  /** The weight, (outFeatures, inFeatures). */
  weight: Parameter;
  /** The bias, (outFeatures), or null when built with `bias: false`. */
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, { bias = true, dtype = "float32", generator }: LinearOptions = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = new Parameter(zeros([outFeatures, inFeatures], { dtype }));
    this.bias = bias ? new Parameter(zeros([outFeatures], { dtype })) : null;
    this.resetParameters(generator);
  }

  /** Draw fresh initial values, as at construction. */
  resetParameters(generator?: Generator): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5), generator });
    if (this.bias !== null) {
      const { fanIn } = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound, { generator });
    }
  }

  /** x W^T + b for input (..., inFeatures); dx = g W, dW = g^T x, db = sum of g. */
  forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}
