import type { Tensor } from "@minigrad/tensor";
import { gelu, type GeluApproximation } from "../functional/activations";
import { Module } from "../module";

/** max(x, 0), elementwise. */
export class ReLU extends Module {
  /** max(x, 0) elementwise; d/dx = 1 where x > 0, else 0. */
  forward(input: Tensor): Tensor {
    return input.relu();
  }
}

/** tanh(x), elementwise. */
export class Tanh extends Module {
  /** tanh x elementwise; d/dx = 1 - tanh^2 x. */
  forward(input: Tensor): Tensor {
    return input.tanh();
  }
}

/** 1 / (1 + e^-x), elementwise. */
export class Sigmoid extends Module {
  /** 1 / (1 + e^-x) elementwise; d/dx = s (1 - s). */
  forward(input: Tensor): Tensor {
    return input.sigmoid();
  }
}

/** x Phi(x) (exact), or its tanh approximation with `{ approximate: 'tanh' }`. */
export class GELU extends Module {
  /** "none" (exact, the default) or "tanh". */
  readonly approximate: GeluApproximation;

  constructor({ approximate = "none" }: { approximate?: GeluApproximation } = {}) {
    super();
    this.approximate = approximate;
  }

  /** `F.gelu(input, { approximate })`: x Phi(x), exact or tanh-approximated. */
  forward(input: Tensor): Tensor {
    return gelu(input, { approximate: this.approximate });
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}
