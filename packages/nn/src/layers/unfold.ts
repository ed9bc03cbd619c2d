import type { Tensor } from "@minigrad/tensor";
import { pyTuple } from "../format";
import type { IntOrTuple } from "../functional/conv";
import { fold, unfold, type UnfoldOptions } from "../functional/unfold";
import { Module } from "../module";

function py(v: IntOrTuple): string {
  return typeof v === "number" ? String(v) : pyTuple(v);
}

/**
 * torch.nn.Unfold: F.unfold with fixed options, (n, c, h, w) or (c, h, w) to the columns
 * (n, c*kh*kw, L) of every sliding block.
 *
 * @example
 * ```ts
 * new Unfold(2).forward(randn([1, 3, 5, 5])).shape; // [1, 12, 16]
 * ```
 */
export class Unfold extends Module {
  /** The block size. */
  readonly kernelSize: IntOrTuple;
  /** The step between block taps. */
  readonly dilation: IntOrTuple;
  /** Zeros on both sides of each spatial dim. */
  readonly padding: IntOrTuple;
  /** The step between blocks. */
  readonly stride: IntOrTuple;

  constructor(kernelSize: IntOrTuple, { dilation = 1, padding = 0, stride = 1 }: UnfoldOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.dilation = dilation;
    this.padding = padding;
    this.stride = stride;
  }

  /** The columns of `input`'s blocks. */
  forward(input: Tensor): Tensor {
    return unfold(input, this.kernelSize, { dilation: this.dilation, padding: this.padding, stride: this.stride });
  }

  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, dilation=${py(this.dilation)}, padding=${py(this.padding)}, stride=${py(this.stride)}`;
  }
}

/**
 * torch.nn.Fold: F.fold with fixed options, columns (n, c*kh*kw, L) summed into
 * (n, c, outputSize[0], outputSize[1]).
 *
 * @example
 * ```ts
 * new Fold([4, 5], 2).forward(randn([1, 12, 12])).shape; // [1, 3, 4, 5]
 * ```
 */
export class Fold extends Module {
  /** The spatial size of the output. */
  readonly outputSize: IntOrTuple;
  /** The block size. */
  readonly kernelSize: IntOrTuple;
  /** The step between block taps. */
  readonly dilation: IntOrTuple;
  /** Zeros on both sides of each spatial dim. */
  readonly padding: IntOrTuple;
  /** The step between blocks. */
  readonly stride: IntOrTuple;

  constructor(outputSize: IntOrTuple, kernelSize: IntOrTuple, { dilation = 1, padding = 0, stride = 1 }: UnfoldOptions = {}) {
    super();
    this.outputSize = outputSize;
    this.kernelSize = kernelSize;
    this.dilation = dilation;
    this.padding = padding;
    this.stride = stride;
  }

  /** The blocks in `input` summed into planes. */
  forward(input: Tensor): Tensor {
    return fold(input, this.outputSize, this.kernelSize, { dilation: this.dilation, padding: this.padding, stride: this.stride });
  }

  override extraRepr(): string {
    return `output_size=${py(this.outputSize)}, kernel_size=${py(this.kernelSize)}, dilation=${py(this.dilation)}, ` +
      `padding=${py(this.padding)}, stride=${py(this.stride)}`;
  }
}
