import type { Tensor } from "@minigrad/tensor";
import { pyBool, pyTuple } from "../format";
import type { IntOrTuple } from "../functional/conv";
import {
  adaptiveAvgPool2d, avgPool1d, avgPool2d, maxPool1d, maxPool2d, type AdaptiveSize,
} from "../functional/pooling";
import { Module } from "../module";

/** An int or a tuple as Python prints it: `2`, `(2, 3)`, `(3,)`. */
function py(v: IntOrTuple): string {
  return typeof v === "number" ? String(v) : pyTuple(v);
}

/** Options of `MaxPool1d` / `MaxPool2d` (torch's defaults); `returnIndices` types the result. */
export interface MaxPoolLayerOptions<R extends boolean> {
  /** The step between windows (the kernel size). */
  stride?: IntOrTuple | null;
  /** Implicit -infinity on both sides, at most half the kernel (0). */
  padding?: IntOrTuple;
  /** The step between taps (1). */
  dilation?: IntOrTuple;
  /** Also return the int32 index of each maximum (false). */
  returnIndices?: R;
  /** Round the output size up (false). */
  ceilMode?: boolean;
}

/** What a max pool returns: the values, or the values and their int32 indices. */
export type MaxPoolResult<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;

abstract class MaxPoolNd<R extends boolean> extends Module {
  /** The window size. */
  readonly kernelSize: IntOrTuple;
  /** The step between windows. */
  readonly stride: IntOrTuple;
  /** The padding on both sides. */
  readonly padding: IntOrTuple;
  /** The step between taps. */
  readonly dilation: IntOrTuple;
  /** Whether forward also returns the indices. */
  readonly returnIndices: R;
  /** Whether the output size rounds up. */
  readonly ceilMode: boolean;

  constructor(kernelSize: IntOrTuple, o: MaxPoolLayerOptions<R>) {
    super();
    this.kernelSize = kernelSize;
    this.stride = o.stride ?? kernelSize;
    this.padding = o.padding ?? 0;
    this.dilation = o.dilation ?? 1;
    this.returnIndices = (o.returnIndices ?? false) as R;
    this.ceilMode = o.ceilMode ?? false;
  }

  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}, ` +
      `dilation=${py(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }

  protected options(): { stride: IntOrTuple; padding: IntOrTuple; dilation: IntOrTuple; ceilMode: boolean; returnIndices: boolean } {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode, returnIndices: this.returnIndices };
  }
}

/**
 * torch.nn.MaxPool2d: F.maxPool2d with fixed options, over (n, c, h, w) or (c, h, w).
 *
 * @example
 * ```ts
 * new MaxPool2d(2).forward(randn([8, 16, 24, 24])).shape; // [8, 16, 12, 12]
 * const [y, indices] = new MaxPool2d(2, { returnIndices: true }).forward(x);
 * ```
 */
export class MaxPool2d<R extends boolean = false> extends MaxPoolNd<R> {
  constructor(kernelSize: IntOrTuple, options: MaxPoolLayerOptions<R> = {}) {
    super(kernelSize, options);
  }

  /** The pooled input, and with `returnIndices` the indices of the maxima. */
  forward(input: Tensor): MaxPoolResult<R> {
    return maxPool2d(input, this.kernelSize, this.options()) as MaxPoolResult<R>;
  }
}

/**
 * torch.nn.MaxPool1d: F.maxPool1d with fixed options, over (n, c, l) or (c, l).
 *
 * @example
 * ```ts
 * new MaxPool1d(3, { stride: 2 }).forward(randn([4, 8, 100])).shape; // [4, 8, 49]
 * ```
 */
export class MaxPool1d<R extends boolean = false> extends MaxPoolNd<R> {
  constructor(kernelSize: IntOrTuple, options: MaxPoolLayerOptions<R> = {}) {
    super(kernelSize, options);
  }

  /** The pooled input, and with `returnIndices` the indices of the maxima. */
  forward(input: Tensor): MaxPoolResult<R> {
    return maxPool1d(input, this.kernelSize, this.options()) as MaxPoolResult<R>;
  }
}

/** Options of `AvgPool1d` / `AvgPool2d` (torch's defaults). */
export interface AvgPoolLayerOptions {
  /** The step between windows (the kernel size). */
  stride?: IntOrTuple | null;
  /** Implicit zeros on both sides, at most half the kernel (0). */
  padding?: IntOrTuple;
  /** Round the output size up (false). */
  ceilMode?: boolean;
  /** Count the padding's zeros in each window's divisor (true). */
  countIncludePad?: boolean;
}

/** Options of `AvgPool2d`: those of AvgPool1d and a fixed divisor. */
export interface AvgPool2dLayerOptions extends AvgPoolLayerOptions {
  /** Divide every window's sum by this instead of its size. */
  divisorOverride?: number | null;
}

/**
 * torch.nn.AvgPool2d: F.avgPool2d with fixed options, over (n, c, h, w) or (c, h, w).
 *
 * @example
 * ```ts
 * new AvgPool2d(2).forward(randn([8, 16, 24, 24])).shape; // [8, 16, 12, 12]
 * ```
 */
export class AvgPool2d extends Module {
  /** The window size. */
  readonly kernelSize: IntOrTuple;
  /** The step between windows. */
  readonly stride: IntOrTuple;
  /** The padding on both sides. */
  readonly padding: IntOrTuple;
  /** Whether the output size rounds up. */
  readonly ceilMode: boolean;
  /** Whether the padding counts in the divisor. */
  readonly countIncludePad: boolean;
  /** The fixed divisor, or null. */
  readonly divisorOverride: number | null;

  constructor(kernelSize: IntOrTuple, o: AvgPool2dLayerOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = o.stride ?? kernelSize;
    this.padding = o.padding ?? 0;
    this.ceilMode = o.ceilMode ?? false;
    this.countIncludePad = o.countIncludePad ?? true;
    this.divisorOverride = o.divisorOverride ?? null;
  }

  /** The pooled input. */
  forward(input: Tensor): Tensor {
    return avgPool2d(input, this.kernelSize, {
      stride: this.stride, padding: this.padding, ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}`;
  }
}

/**
 * torch.nn.AvgPool1d: F.avgPool1d with fixed options, over (n, c, l) or (c, l).
 *
 * @example
 * ```ts
 * new AvgPool1d(4).forward(randn([4, 8, 100])).shape; // [4, 8, 25]
 * ```
 */
export class AvgPool1d extends Module {
  /** The window size, as a 1-tuple (torch's `_single`). */
  readonly kernelSize: readonly [number];
  /** The step between windows. */
  readonly stride: readonly [number];
  /** The padding on both sides. */
  readonly padding: readonly [number];
  /** Whether the output size rounds up. */
  readonly ceilMode: boolean;
  /** Whether the padding counts in the divisor. */
  readonly countIncludePad: boolean;

  constructor(kernelSize: IntOrTuple, o: AvgPoolLayerOptions = {}) {
    super();
    const single = (v: IntOrTuple): [number] => [typeof v === "number" ? v : v[0]];
    this.kernelSize = single(kernelSize);
    this.stride = single(o.stride ?? kernelSize);
    this.padding = single(o.padding ?? 0);
    this.ceilMode = o.ceilMode ?? false;
    this.countIncludePad = o.countIncludePad ?? true;
  }

  /** The pooled input. */
  forward(input: Tensor): Tensor {
    return avgPool1d(input, this.kernelSize, {
      stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}`;
  }
}

/**
 * torch.nn.AdaptiveAvgPool2d: average (n, c, h, w) or (c, h, w) down (or up) to outputSize,
 * an int or one per dim where null keeps the input's size.
 *
 * @example
 * ```ts
 * new AdaptiveAvgPool2d(1).forward(randn([8, 512, 7, 7])).shape; // [8, 512, 1, 1]
 * ```
 */
export class AdaptiveAvgPool2d extends Module {
  /** The output size, as given. */
  readonly outputSize: AdaptiveSize;

  constructor(outputSize: AdaptiveSize) {
    super();
    this.outputSize = outputSize;
  }

  /** The pooled input. */
  forward(input: Tensor): Tensor {
    return adaptiveAvgPool2d(input, this.outputSize);
  }

  override extraRepr(): string {
    const v = this.outputSize;
    const show = (x: number | null): string => (x === null ? "None" : String(x));
    return `output_size=${v === null || typeof v === "number" ? show(v) : v.length === 1 ? `(${show(v[0])},)` : `(${v.map(show).join(", ")})`}`;
  }
}
