import { ArgumentError, ShapeError, Tensor, zeros, type Generator } from "@minigrad/tensor";
import { pyTuple } from "../format";
import {
  conv1d, conv2d, convTranspose2d, expandParam, samePadding, type ConvPadding, type IntOrTuple,
} from "../functional/conv";
import { pad } from "../functional/pad";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "../init";
import { Module } from "../module";
import { Parameter } from "../parameter";

/** How a convolution layer pads its input: torch's `padding_mode`. */
export type PaddingMode = "zeros" | "reflect" | "replicate" | "circular";

/** Options of `Conv1d` and `Conv2d` (torch's defaults). */
export interface ConvLayerOptions {
  /** The step between window positions (1). */
  stride?: IntOrTuple;
  /** Padding on both sides of each spatial dim, or 'valid' / 'same' (0). */
  padding?: ConvPadding;
  /** The step between kernel taps (1). */
  dilation?: IntOrTuple;
  /** Channel groups; both channel counts must be divisible by it (1). */
  groups?: number;
  /** Learn an additive bias per output channel (true). */
  bias?: boolean;
  /** What the padding holds: zeros, or the input reflected, replicated or wrapped ('zeros'). */
  paddingMode?: PaddingMode;
  /** The dtype of weight and bias (float32). */
  dtype?: "float32" | "float64";
  /** Where the initial values come from (the seeded default generator otherwise). */
  generator?: Generator;
}

/** Options of `ConvTranspose2d` (torch's defaults). */
export interface ConvTransposeLayerOptions {
  /** The stride of the convolution this is the transpose of (1). */
  stride?: IntOrTuple;
  /** `dilation * (kernel - 1) - padding` zeros are added to each side of the input (0). */
  padding?: IntOrTuple;
  /** Extra size on one side of the output, less than stride or dilation (0). */
  outputPadding?: IntOrTuple;
  /** Channel groups (1). */
  groups?: number;
  /** Learn an additive bias per output channel (true). */
  bias?: boolean;
  /** The step between kernel taps (1). */
  dilation?: IntOrTuple;
  /** Only 'zeros', as torch. */
  paddingMode?: "zeros";
  /** The dtype of weight and bias (float32). */
  dtype?: "float32" | "float64";
  /** Where the initial values come from (the seeded default generator otherwise). */
  generator?: Generator;
}

const PADDING_MODES: readonly string[] = ["zeros", "reflect", "replicate", "circular"];

/**
 * What torch's _ConvNd holds and checks: channel counts, kernel, stride, padding, dilation,
 * groups, padding mode, output padding (transposed only), weight and bias with torch's
 * default init (weight kaiming-uniform with a = sqrt(5), bias U(-1/sqrt(fanIn), 1/sqrt(fanIn))).
 */
abstract class ConvNd extends Module {
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** The kernel's size per spatial dim. */
  readonly kernelSize: readonly number[];
  /** The stride per spatial dim. */
  readonly stride: readonly number[];
  /** The padding per spatial dim, or 'same' / 'valid'. */
  readonly padding: readonly number[] | "same" | "valid";
  /** The dilation per spatial dim. */
  readonly dilation: readonly number[];
  /** The output padding per spatial dim (transposed convolutions; zeros otherwise). */
  readonly outputPadding: readonly number[];
  /** The number of channel groups. */
  readonly groups: number;
  /** What the padding holds. */
  readonly paddingMode: PaddingMode;
  /** (out, in / groups, ...kernel), or (in, out / groups, ...kernel) when transposed. */
  weight: Parameter;
  /** (out), or null when built with `bias: false`. */
  bias: Parameter | null;
  /** torch's `_reversed_padding_repeated_twice`: F.pad's argument for a padding mode other than zeros. */
  protected readonly reversedPadding: number[];

  protected constructor(
    dims: number, inChannels: number, outChannels: number, kernelSize: IntOrTuple, transposed: boolean,
    o: ConvLayerOptions & { outputPadding?: IntOrTuple },
  ) {
    super();
    const groups = o.groups ?? 1;
    if (!(Number.isInteger(groups) && groups > 0)) throw new ArgumentError("groups must be a positive integer");
    if (inChannels % groups !== 0) throw new ArgumentError("in_channels must be divisible by groups");
    if (outChannels % groups !== 0) throw new ArgumentError("out_channels must be divisible by groups");
    const padding = o.padding ?? 0;
    const stride = expandParam("stride", o.stride ?? 1, dims);
    if (typeof padding === "string") {
      if (padding !== "same" && padding !== "valid") {
        throw new ArgumentError(`Invalid padding string '${String(padding)}', should be one of {'same', 'valid'}`);
      }
      if (padding === "same" && stride.some((s) => s !== 1)) {
        throw new ArgumentError("padding='same' is not supported for strided convolutions");
      }
    }
    const paddingMode = o.paddingMode ?? "zeros";
    if (!PADDING_MODES.includes(paddingMode)) {
      throw new ArgumentError(
        `padding_mode must be one of {'circular', 'reflect', 'replicate', 'zeros'}, but got padding_mode='${String(paddingMode)}'`,
      );
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = expandParam("kernel_size", kernelSize, dims);
    this.stride = stride;
    this.padding = typeof padding === "string" ? padding : expandParam("padding", padding, dims);
    this.dilation = expandParam("dilation", o.dilation ?? 1, dims);
    this.outputPadding = expandParam("output_padding", o.outputPadding ?? 0, dims);
    this.groups = groups;
    this.paddingMode = paddingMode;
    const pairs = this.padding === "same"
      ? samePadding(this.kernelSize, this.dilation)
      : this.padding === "valid" ? this.kernelSize.map((): [number, number] => [0, 0]) : this.padding.map((p): [number, number] => [p, p]);
    this.reversedPadding = pairs.reverse().flat();
    const dtype = o.dtype ?? "float32";
    const shape = transposed
      ? [inChannels, outChannels / groups, ...this.kernelSize]
      : [outChannels, inChannels / groups, ...this.kernelSize];
    this.weight = new Parameter(zeros(shape, { dtype }));
    this.bias = (o.bias ?? true) ? new Parameter(zeros([outChannels], { dtype })) : null;
    this.resetParameters(o.generator);
  }

  /** Draw fresh initial values, as at construction (torch's reset_parameters). */
  resetParameters(generator?: Generator): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5), generator });
    if (this.bias !== null) {
      const { fanIn } = calculateFanInAndFanOut(this.weight);
      if (fanIn !== 0) {
        const bound = 1 / Math.sqrt(fanIn);
        uniform_(this.bias, -bound, bound, { generator });
      }
    }
  }

  /** The input padded by F.pad in a padding mode other than zeros (the convolution then pads nothing). */
  protected padded(input: Tensor): Tensor {
    return this.paddingMode === "zeros" ? input : pad(input, this.reversedPadding, this.paddingMode);
  }

  /** The padding handed to the functional form: none after F.pad in another mode. */
  protected functionalPadding(): ConvPadding {
    return this.paddingMode === "zeros" ? this.padding : 0;
  }

  /** torch's: `3, 16, kernel_size=(5, 5), stride=(1, 1)` and the options that differ from the defaults. */
  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    const p = this.padding;
    if (typeof p === "string") s += `, padding=${p}`;
    else if (p.some((v) => v !== 0)) s += `, padding=${pyTuple(p)}`;
    if (this.dilation.some((v) => v !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (this.outputPadding.some((v) => v !== 0)) s += `, output_padding=${pyTuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=False";
    if (this.paddingMode !== "zeros") s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

/**
 * A 2-D convolution, as torch.nn.Conv2d: input (n, inChannels, h, w) or unbatched
 * (inChannels, h, w), weight (outChannels, inChannels / groups, kh, kw), bias (outChannels).
 * Runs F.conv2d (im2col and one packed product per group over the batch).
 *
 * @example
 * ```ts
 * const conv = new Conv2d(1, 16, 5);
 * conv.forward(randn([64, 1, 28, 28])).shape; // [64, 16, 24, 24]
 * ```
 */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvLayerOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, false, options);
  }

  /** The convolution of `input` (3-D or 4-D). */
  forward(input: Tensor): Tensor {
    return conv2d(this.padded(input), this.weight, this.bias, {
      stride: this.stride, padding: this.functionalPadding(), dilation: this.dilation, groups: this.groups,
    });
  }
}

/**
 * A 1-D convolution, as torch.nn.Conv1d: input (n, inChannels, l) or (inChannels, l), weight
 * (outChannels, inChannels / groups, k), bias (outChannels).
 *
 * @example
 * ```ts
 * new Conv1d(8, 16, 3, { padding: "same" }).forward(randn([4, 8, 100])).shape; // [4, 16, 100]
 * ```
 */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvLayerOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, false, options);
  }

  /** The convolution of `input` (2-D or 3-D). */
  forward(input: Tensor): Tensor {
    return conv1d(this.padded(input), this.weight, this.bias, {
      stride: this.stride, padding: this.functionalPadding(), dilation: this.dilation, groups: this.groups,
    });
  }
}

/**
 * A 2-D transposed convolution (the gradient of Conv2d as a layer), as
 * torch.nn.ConvTranspose2d: input (n, inChannels, h, w) or (inChannels, h, w), weight
 * (inChannels, outChannels / groups, kh, kw), bias (outChannels); the output is
 * (h - 1)*stride - 2*padding + dilation*(k - 1) + outputPadding + 1 high (and so wide).
 *
 * @example
 * ```ts
 * new ConvTranspose2d(16, 8, 3, { stride: 2, padding: 1, outputPadding: 1 }).forward(randn([1, 16, 7, 7])).shape; // [1, 8, 14, 14]
 * ```
 */
export class ConvTranspose2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, options: ConvTransposeLayerOptions = {}) {
    if ((options.paddingMode ?? "zeros") !== "zeros") {
      throw new ArgumentError('Only "zeros" padding mode is supported for ConvTranspose2d');
    }
    super(2, inChannels, outChannels, kernelSize, true, { ...options, paddingMode: "zeros" });
  }

  /**
   * The transposed convolution of `input`; `outputSize` (the last two entries are used) picks
   * the output padding that gives it, as torch's `output_size` argument.
   */
  forward(input: Tensor, outputSize?: readonly number[]): Tensor {
    return convTranspose2d(input, this.weight, this.bias, {
      stride: this.stride, padding: this.padding as readonly number[], outputPadding: this.outputPaddingFor(input, outputSize),
      groups: this.groups, dilation: this.dilation,
    });
  }

  private outputPaddingFor(input: Tensor, outputSize?: readonly number[]): readonly number[] {
    if (outputSize === undefined) return this.outputPadding;
    const spatial = input.shape.slice(-2);
    const size = outputSize.slice(-2);
    if (size.length !== 2) {
      throw new ShapeError(`ConvTranspose2d: output_size must have 2 or 4 elements (got ${outputSize.length})`);
    }
    const padding = this.padding as readonly number[];
    const min = size.map((_, d) =>
      (spatial[d] - 1) * this.stride[d] - 2 * padding[d] + this.dilation[d] * (this.kernelSize[d] - 1) + 1);
    const max = min.map((m, d) => m + this.stride[d] - 1);
    if (size.some((want, d) => want < min[d] || want > max[d])) {
      throw new ShapeError(
        `requested an output size of [${size.join(", ")}], but valid sizes range from [${min.join(", ")}] to ` +
          `[${max.join(", ")}] (for an input of [${spatial.join(", ")}])`,
      );
    }
    return size.map((want, d) => want - min[d]);
  }
}
