import { ArgumentError, type Generator, type Tensor } from "@minigrad/tensor";
import { pyFloat } from "../format";
import { dropout } from "../functional/dropout";
import { Module } from "../module";

/**
 * Zeroes each element with probability p in training mode, scaling the rest by 1 / (1 - p);
 * the identity after `eval()`. Masks come from the seeded default generator, or the given one.
 */
export class Dropout extends Module {
  /** The probability of zeroing each element, in [0, 1] (0.5 by default). */
  readonly p: number;
  /** Where masks are drawn from; undefined: the seeded `defaultGenerator`. */
  readonly generator: Generator | undefined;

  constructor(p = 0.5, { generator }: { generator?: Generator } = {}) {
    super();
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
      throw new ArgumentError(`dropout probability has to be between 0 and 1, but got ${String(p)}`);
    }
    this.p = p;
    this.generator = generator;
  }

  /** In training, the input masked and scaled by 1 / (1 - p); after `eval()`, the input. */
  forward(input: Tensor): Tensor {
    return dropout(input, { p: this.p, training: this.training, generator: this.generator });
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}
