import type { Tensor } from "@minigrad/tensor";
import { gelu, type GeluApproximation } from "../functional/activations";
import { Module } from "../module";

/** max(x, 0), elementwise. */
export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return input.relu();
  }
}

/** tanh(x), elementwise. */
export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return input.tanh();
  }
}

/** 1 / (1 + e^-x), elementwise. */
export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return input.sigmoid();
  }
}

/** x Phi(x) (exact), or its tanh approximation with `{ approximate: 'tanh' }`. */
export class GELU extends Module {
  readonly approximate: GeluApproximation;

  constructor({ approximate = "none" }: { approximate?: GeluApproximation } = {}) {
    super();
    this.approximate = approximate;
  }

  forward(input: Tensor): Tensor {
    return gelu(input, { approximate: this.approximate });
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}
