import { ArgumentError, DTypeError, ShapeError, Tensor, im2col, col2im, type SlidingWindow2d } from "@minigrad/tensor";
import { checkFloating, fmtShape } from "./util";

/** An int per spatial dim, or one int for all of them (torch's `int or tuple`). */
export type IntOrTuple = number | readonly number[];

/** A convolution's padding: zeros on both sides of each spatial dim, or 'valid' (none) / 'same' (output size = input size). */
export type ConvPadding = IntOrTuple | "valid" | "same";

/** Options of `conv1d` and `conv2d` (torch's defaults). */
export interface ConvOptions {
  /** The step between window positions (1). */
  stride?: IntOrTuple;
  /** Implicit zeros on both sides of each spatial dim, or 'valid' / 'same' (0). */
  padding?: ConvPadding;
  /** The step between kernel taps (1). */
  dilation?: IntOrTuple;
  /** Channel groups: input and output channels split into this many independent convolutions (1). */
  groups?: number;
}

/** Options of `convTranspose2d` (torch's defaults). */
export interface ConvTransposeOptions {
  /** The stride of the convolution this is the transpose of (1). */
  stride?: IntOrTuple;
  /** `dilation * (kernel - 1) - padding` zeros are added to each side of the input (0). */
  padding?: IntOrTuple;
  /** Extra rows/columns added to one side of the output, less than stride or dilation (0). */
  outputPadding?: IntOrTuple;
  /** Channel groups (1). */
  groups?: number;
  /** The step between kernel taps (1). */
  dilation?: IntOrTuple;
}

const PY_DTYPE: Record<string, string> = { float32: "Float", float64: "Double", int32: "Int", bool: "Bool" };

/** One value per spatial dim from an int or a list (torch's expand_param_if_needed). */
export function expandParam(name: string, value: IntOrTuple, n: number): number[] {
  if (typeof value === "number") return Array<number>(n).fill(value);
  if (value.length === 1 && n > 1) return Array<number>(n).fill(value[0]);
  if (value.length !== n) {
    throw new ArgumentError(
      `expected ${name} to be a single integer value or a list of ${n} values to match the convolution dimensions, ` +
        `but got ${name}=[${value.join(", ")}]`,
    );
  }
  return [...value];
}

/** The 'same' padding of each spatial dim: total d*(k-1), the odd one on the far side (torch). */
export function samePadding(kernel: readonly number[], dilation: readonly number[]): [number, number][] {
  return kernel.map((k, i) => {
    const total = dilation[i] * (k - 1);
    const before = Math.floor(total / 2);
    return [before, total - before];
  });
}

/**
 * The checks torch makes on a convolution's arguments (rank, stride, padding, dilation, groups,
 * weight, channels, bias, kernel size), with its messages; returns the batched input, the
 * spatial padding (before, after) per dim, and whether a batch dim was added.
 */
function checkConv(
  op: string, dims: number, input: Tensor, weight: Tensor, bias: Tensor | null | undefined,
  options: ConvOptions, transposed: boolean,
): { x: Tensor; stride: number[]; dilation: number[]; pad: [number, number][]; groups: number; unbatched: boolean } {
  checkFloating(op, "input", input);
  checkFloating(op, "weight", weight);
  if (input.ndim !== dims + 1 && input.ndim !== dims + 2) {
    throw new ShapeError(
      `Expected ${dims + 1}D (unbatched) or ${dims + 2}D (batched) input to ${op}, but got input of size: ${fmtShape(input.shape)}`,
    );
  }
  if (input.dtype !== weight.dtype) {
    throw new DTypeError(`expected scalar type ${PY_DTYPE[input.dtype]} but found ${PY_DTYPE[weight.dtype]}`);
  }
  const unbatched = input.ndim === dims + 1;
  const x = unbatched ? input.unsqueeze(0) : input;
  const stride = expandParam("stride", options.stride ?? 1, dims);
  const dilation = expandParam("dilation", options.dilation ?? 1, dims);
  const groups = options.groups ?? 1;
  const padding = options.padding ?? 0;
  const kernel = weight.shape.slice(2);
  let pad: [number, number][];
  if (padding === "same" || padding === "valid") {
    if (padding === "same" && stride.some((s) => s !== 1)) {
      throw new ArgumentError("padding='same' is not supported for strided convolutions");
    }
    pad = padding === "valid" || weight.ndim !== dims + 2 ? kernel.map(() => [0, 0]) : samePadding(kernel, dilation);
  } else if (typeof padding === "string") {
    throw new ArgumentError(`Invalid padding string: '${String(padding)}'`);
  } else {
    pad = expandParam("padding", padding, dims).map((p) => [p, p]);
  }
  if (stride.some((s) => !(s > 0))) throw new ArgumentError("non-positive stride is not supported");
  if (pad.some(([p]) => p < 0)) throw new ArgumentError("negative padding is not supported");
  if (dilation.some((d) => !(d > 0))) throw new ArgumentError("non-positive dilation is not supported");
  if (!(Number.isInteger(groups) && groups > 0)) throw new ArgumentError("non-positive groups is not supported");
  if (weight.ndim !== dims + 2) {
    throw new ShapeError(
      `Expected ${dims + 2}-dimensional weight for ${dims + 2}-dimensional input ${fmtShape(x.shape)}, but got ` +
        `${weight.ndim}-dimensional weight of size ${fmtShape(weight.shape)} instead`,
    );
  }
  const channels = x.shape[1];
  if (!transposed) {
    if (weight.shape[0] % groups !== 0) {
      throw new ShapeError(
        `Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ` +
          `[${fmtShape(weight.shape)}] instead`,
      );
    }
    if (channels !== weight.shape[1] * groups) {
      throw new ShapeError(
        `Given groups=${groups}, weight of size ${fmtShape(weight.shape)}, expected input${fmtShape(x.shape)} to have ` +
          `${weight.shape[1] * groups} channels, but got ${channels} channels instead`,
      );
    }
  } else if (channels !== weight.shape[0]) {
    throw new ShapeError(
      `Given transposed=1, weight of size ${fmtShape(weight.shape)}, expected input${fmtShape(x.shape)} to have ` +
        `${weight.shape[0]} channels, but got ${channels} channels instead`,
    );
  }
  const outChannels = transposed ? weight.shape[1] * groups : weight.shape[0];
  if (bias != null && (bias.ndim !== 1 || bias.shape[0] !== outChannels)) {
    throw new ShapeError(
      `Given ${transposed ? "transposed=1, " : ""}weight of size ${fmtShape(weight.shape)}, expected bias to be ` +
        `1-dimensional with ${outChannels} elements, but got bias of size ${fmtShape(bias.shape)} instead`,
    );
  }
  if (!transposed) {
    const padded = x.shape.slice(2).map((s, i) => s + pad[i][0] + pad[i][1]);
    const span = kernel.map((k, i) => dilation[i] * (k - 1) + 1);
    if (padded.some((s, i) => s < span[i])) {
      throw new ShapeError(
        `Calculated padded input size per channel: (${padded.join(" x ")}). Kernel size: (${span.join(" x ")}). ` +
          "Kernel size can't be greater than actual input size",
      );
    }
  }
  return { x, stride, dilation, pad, groups, unbatched };
}

/**
 * The convolution of batched x (n, c, h, w) as im2col and one matrix product over the whole
 * batch: the columns (c*kh*kw, n*L) come out of im2col in that layout, so
 *   out (o, n*L) = W (o, c*kh*kw) @ cols,
 * per group a batched product, and the result is permuted to (n, o, outH, outW) while the bias
 * is added. The backward is the product's (dW = g @ cols^T, dcols = W^T @ g) and im2col's
 * (col2im).
 */
function conv2dLowered(
  x: Tensor, weight: Tensor, bias: Tensor | null | undefined,
  stride: number[], dilation: number[], pad: [number, number][], groups: number,
): Tensor {
  const [n] = x.shape;
  const [o, , kh, kw] = weight.shape;
  const window: SlidingWindow2d = {
    kernelSize: [kh, kw], stride: [stride[0], stride[1]], dilation: [dilation[0], dilation[1]],
    padding: [pad[0][0], pad[0][1], pad[1][0], pad[1][1]],
  };
  const cols = im2col(x, window, { batchInner: true }); // (n, rows, L) over (rows, n, L) storage
  const rows = cols.shape[1], L = cols.shape[2];
  const outH = Math.floor((x.shape[2] + pad[0][0] + pad[0][1] - dilation[0] * (kh - 1) - 1) / stride[0]) + 1;
  const outW = L / outH;
  const flat = cols.permute([1, 0, 2]).reshape([rows, n * L]); // a view
  const y = groups === 1
    ? weight.reshape([o, rows]).matmul(flat)
    : weight.reshape([groups, o / groups, rows / groups]).matmul(flat.reshape([groups, rows / groups, n * L])).reshape([o, n * L]);
  const out = y.reshape([o, n, outH, outW]).permute([1, 0, 2, 3]);
  return bias != null ? out.add(bias.reshape([1, o, 1, 1])) : out.contiguous();
}

/**
 * torch's F.conv2d: the 2-D cross-correlation of input (n, c, h, w) or (c, h, w) with weight
 * (out, c / groups, kh, kw), plus bias (out):
 *   out[b, o, y, x] = bias[o] + sum_{c, i, j} input[b, c, y*sH - pH + i*dH, x*sW - pW + j*dW] * weight[o, c, i, j]
 * with zeros outside the input. Lowered to im2col and one packed matrix product per group over
 * the whole batch; differentiable in input, weight and bias.
 *
 * @example
 * ```ts
 * const y = F.conv2d(randn([8, 3, 32, 32]), randn([16, 3, 3, 3]), null, { padding: 1 }); // [8, 16, 32, 32]
 * ```
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  const { x, stride, dilation, pad, groups, unbatched } = checkConv("conv2d", 2, input, weight, bias, options, false);
  const out = conv2dLowered(x, weight, bias, stride, dilation, pad, groups);
  return unbatched ? out.squeeze(0) : out;
}

/**
 * torch's F.conv1d: the 1-D cross-correlation of input (n, c, l) or (c, l) with weight
 * (out, c / groups, k), plus bias (out); conv2d over planes of height 1.
 *
 * @example
 * ```ts
 * const y = F.conv1d(randn([4, 2, 50]), randn([6, 2, 5]), null, { padding: "same" }); // [4, 6, 50]
 * ```
 */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  const { x, stride, dilation, pad, groups, unbatched } = checkConv("conv1d", 1, input, weight, bias, options, false);
  const out = conv2dLowered(
    x.unsqueeze(2), weight.unsqueeze(2), bias, [1, stride[0]], [1, dilation[0]], [[0, 0], pad[0]], groups,
  ).squeeze(2);
  return unbatched ? out.squeeze(0) : out;
}

/**
 * torch's F.conv_transpose2d: the gradient of conv2d with respect to its input, as a layer.
 * Input (n, cIn, h, w) or (cIn, h, w), weight (cIn, cOut / groups, kh, kw), bias (cOut); the
 * output is (n, cOut, hOut, wOut) with
 *   hOut = (h - 1)*sH - 2*pH + dH*(kh - 1) + outputPaddingH + 1   (and so for w).
 * Computed as the product W^T @ x per group (columns of cOut*kh*kw per input position) and
 * col2im, which adds every column into the output; differentiable in input, weight and bias.
 *
 * @example
 * ```ts
 * const y = F.convTranspose2d(randn([1, 4, 8, 8]), randn([4, 2, 3, 3]), null, { stride: 2, padding: 1, outputPadding: 1 }); // [1, 2, 16, 16]
 * ```
 */
export function convTranspose2d(
  input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTransposeOptions = {},
): Tensor {
  const { x, stride, dilation, pad, groups, unbatched } = checkConv(
    "conv_transpose2d", 2, input, weight, bias,
    { stride: options.stride, padding: options.padding, dilation: options.dilation, groups: options.groups },
    true,
  );
  const outputPadding = expandParam("output_padding", options.outputPadding ?? 0, 2);
  if (outputPadding.some((p, i) => p < 0 || (p >= stride[i] && p >= dilation[i]))) {
    throw new ArgumentError(
      `output padding must be smaller than either stride or dilation, but got output_padding_height: ${outputPadding[0]} ` +
        `output_padding_width: ${outputPadding[1]} stride_height: ${stride[0]} stride_width: ${stride[1]} ` +
        `dilation_height: ${dilation[0]} dilation_width: ${dilation[1]}`,
    );
  }
  const [n, cIn, h, w] = x.shape;
  const [, cOutG, kh, kw] = weight.shape;
  const cOut = cOutG * groups;
  const size: [number, number] = [
    (h - 1) * stride[0] - 2 * pad[0][0] + dilation[0] * (kh - 1) + outputPadding[0] + 1,
    (w - 1) * stride[1] - 2 * pad[1][0] + dilation[1] * (kw - 1) + outputPadding[1] + 1,
  ];
  if (size[0] < 1 || size[1] < 1) {
    throw new ShapeError(
      `conv_transpose2d: the output size ${fmtShape(size)} for input ${fmtShape(x.shape)} and weight ` +
        `${fmtShape(weight.shape)} is too small`,
    );
  }
  // cols[b, g, co*kh*kw, l] = sum_ci W[g, ci, co*kh*kw] x[b, g, ci, l]
  const wT = weight.reshape([groups, cIn / groups, cOutG * kh * kw]).transpose(1, 2);
  const cols = wT.matmul(x.reshape([n, groups, cIn / groups, h * w])).reshape([n, cOut * kh * kw, h * w]);
  // The padding after each dim absorbs the output padding, so the window count is (h, w).
  const window: SlidingWindow2d = {
    kernelSize: [kh, kw], stride: [stride[0], stride[1]], dilation: [dilation[0], dilation[1]],
    padding: [pad[0][0], pad[0][0] - outputPadding[0], pad[1][0], pad[1][0] - outputPadding[1]],
  };
  let out = col2im(cols, size, window);
  if (bias != null) out = out.add(bias.reshape([1, cOut, 1, 1]));
  return unbatched ? out.squeeze(0) : out;
}
