import { ArgumentError, elu, hardtanh, leakyRelu, mish, silu, softplus, type Tensor } from "@minigrad/tensor";
import { pyFloat } from "../format";
import { Module } from "../module";

/**
 * More of torch's activation layers; each forward is the `functional` form with the
 * constants given at construction, and each prints as torch does.
 */

/** A Python number as torch prints an int default (`20`) or a float (`0.5`). */
function pyNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : pyFloat(x);
}

/** x for x > 0, else negativeSlope * x, as torch.nn.LeakyReLU. */
export class LeakyReLU extends Module {
  /** @param negativeSlope - the slope for negative inputs (0.01). */
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  /** `F.leakyRelu(input, negativeSlope)`. */
  forward(input: Tensor): Tensor {
    return leakyRelu(input, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}`;
  }
}

/** x for x > 0, else alpha (e^x - 1), as torch.nn.ELU. */
export class ELU extends Module {
  /** @param alpha - the value the output tends to for very negative inputs, negated (1). */
  constructor(readonly alpha = 1) {
    super();
  }

  /** `F.elu(input, alpha)`. */
  forward(input: Tensor): Tensor {
    return elu(input, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}`;
  }
}

/** x sigmoid(x) ("swish"), as torch.nn.SiLU. */
export class SiLU extends Module {
  /** `F.silu(input)`. */
  forward(input: Tensor): Tensor {
    return silu(input);
  }
}

/** log(1 + e^(beta x)) / beta, linear above the threshold, as torch.nn.Softplus. */
export class Softplus extends Module {
  /**
   * @param beta - the sharpness (1).
   * @param threshold - above beta x > threshold the output is x itself (20).
   */
  constructor(readonly beta = 1, readonly threshold = 20) {
    super();
  }

  /** `F.softplus(input, beta, threshold)`. */
  forward(input: Tensor): Tensor {
    return softplus(input, this.beta, this.threshold);
  }

  override extraRepr(): string {
    return `beta=${pyNumber(this.beta)}, threshold=${pyNumber(this.threshold)}`;
  }
}

/** x tanh(softplus(x)), as torch.nn.Mish. */
export class Mish extends Module {
  /** `F.mish(input)`. */
  forward(input: Tensor): Tensor {
    return mish(input);
  }
}

/** x clamped into [minVal, maxVal] (no gradient outside), as torch.nn.Hardtanh. */
export class Hardtanh extends Module {
  /**
   * @param minVal - the lower bound (-1).
   * @param maxVal - the upper bound (1), greater than minVal.
   */
  constructor(readonly minVal = -1, readonly maxVal = 1) {
    super();
    if (!(maxVal > minVal)) throw new ArgumentError(`Hardtanh: max_val (${maxVal}) must be greater than min_val (${minVal})`);
  }

  /** `F.hardtanh(input, minVal, maxVal)`. */
  forward(input: Tensor): Tensor {
    return hardtanh(input, this.minVal, this.maxVal);
  }

  override extraRepr(): string {
    return `min_val=${pyFloat(this.minVal)}, max_val=${pyFloat(this.maxVal)}`;
  }
}

/** torch's implicit softmax dim (a deprecated default): 0 for 0-, 1- and 3-D inputs, else 1. */
function softmaxDim(dim: number | null, ndim: number): number {
  if (dim !== null) return dim;
  return ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1;
}

/** softmax along `dim`, as torch.nn.Softmax. */
export class Softmax extends Module {
  /** @param dim - the dim that sums to 1; null picks torch's legacy implicit dim. */
  constructor(readonly dim: number | null = null) {
    super();
  }

  /** `input.softmax(dim)`. */
  forward(input: Tensor): Tensor {
    return input.softmax(softmaxDim(this.dim, input.ndim));
  }

  override extraRepr(): string {
    return `dim=${this.dim === null ? "None" : this.dim}`;
  }
}

/** log(softmax) along `dim`, as torch.nn.LogSoftmax. */
export class LogSoftmax extends Module {
  /** @param dim - the dim normalised over; null picks torch's legacy implicit dim. */
  constructor(readonly dim: number | null = null) {
    super();
  }

  /** `input.logSoftmax(dim)`. */
  forward(input: Tensor): Tensor {
    return input.logSoftmax(softmaxDim(this.dim, input.ndim));
  }

  override extraRepr(): string {
    return `dim=${this.dim === null ? "None" : this.dim}`;
  }
}

/** Returns its input, as torch.nn.Identity: a placeholder (any constructor arguments are ignored). */
export class Identity extends Module {
  /** Arguments are accepted and ignored, as torch's. */
  constructor(..._args: unknown[]) {
    super();
  }

  /** The input itself. */
  forward(input: Tensor): Tensor {
    return input;
  }
}
