import { ArgumentError, ShapeError, Tensor, avgPool2d as avgPoolWindows, maxPool2dWithIndices as maxPoolPrimitive, type PoolWindows } from "@minigrad/tensor";
import { checkFloating, fmtShape } from "./util";
import type { IntOrTuple } from "./conv";
import { pair } from "./unfold";

/** Options of `maxPool1d` / `maxPool2d` (torch's defaults). */
export interface MaxPoolOptions {
  /** The step between windows (the kernel size). */
  stride?: IntOrTuple | null;
  /** Implicit -infinity on both sides, at most half the kernel (0). */
  padding?: IntOrTuple;
  /** The step between taps (1). */
  dilation?: IntOrTuple;
  /** Round the output size up: a last, partial window where one starts inside the input or left padding (false). */
  ceilMode?: boolean;
  /** Also return the int32 flat index (within each plane) of every maximum (false). */
  returnIndices?: boolean;
}

/** Options of `avgPool1d` / `avgPool2d` (torch's defaults). */
export interface AvgPoolOptions {
  /** The step between windows (the kernel size). */
  stride?: IntOrTuple | null;
  /** Implicit zeros on both sides, at most half the kernel (0). */
  padding?: IntOrTuple;
  /** Round the output size up (false). */
  ceilMode?: boolean;
  /** Count the padding's zeros in each window's divisor (true). */
  countIncludePad?: boolean;
}

/** Options of `avgPool2d`: those of avgPool1d and a fixed divisor. */
export interface AvgPool2dOptions extends AvgPoolOptions {
  /** Divide every window's sum by this instead of its size. */
  divisorOverride?: number | null;
}

/**
 * torch's pooling_output_shape: floor (or ceil) of (size + 2p - d(k-1) - 1) / s, plus 1; in
 * ceil mode a last window that would start in the right padding is dropped.
 */
function pooledSize(size: number, k: number, p: number, s: number, d: number, ceil: boolean): number {
  let out = Math.floor((size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

interface Pool2d {
  x: Tensor;
  unbatched: boolean;
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  out: [number, number];
}

/** The checks of torch's 2-D pools (pooling_output_shape, pool2d_shape_check) with its messages. */
function pool2d(op: string, input: Tensor, kernelSize: IntOrTuple, o: MaxPoolOptions): Pool2d {
  checkFloating(op, "input", input);
  if (input.ndim !== 3 && input.ndim !== 4) throw new ShapeError("non-empty 3D or 4D (batch mode) tensor expected for input");
  const kernel = pair(op, "kernel_size", kernelSize);
  const stride = o.stride == null || (Array.isArray(o.stride) && o.stride.length === 0) ? kernel : pair(op, "stride", o.stride);
  const padding = pair(op, "padding", o.padding ?? 0);
  const dilation = pair(op, "dilation", o.dilation ?? 1);
  const ceil = o.ceilMode ?? false;
  for (let i = 0; i < 2; i++) {
    if (stride[i] === 0) throw new ArgumentError("stride should not be zero");
    if (padding[i] < 0) throw new ArgumentError(`pad must be non-negative, but got pad: ${padding[i]}`);
    if (padding[i] > Math.floor(kernel[i] / 2)) {
      throw new ArgumentError(`pad should be at most half of kernel size, but got pad=${padding[i]} and kernel_size=${kernel[i]}`);
    }
  }
  if (!(kernel[0] > 0 && kernel[1] > 0)) {
    throw new ArgumentError(`kernel size should be greater than zero, but got kH: ${kernel[0]} kW: ${kernel[1]}`);
  }
  if (!(stride[0] > 0 && stride[1] > 0)) {
    throw new ArgumentError(`stride should be greater than zero, but got dH: ${stride[0]} dW: ${stride[1]}`);
  }
  if (!(dilation[0] > 0 && dilation[1] > 0)) {
    throw new ArgumentError(`dilation should be greater than zero, but got dilationH: ${dilation[0]} dilationW: ${dilation[1]}`);
  }
  if (input.shape.slice(input.ndim - 3).some((s) => s === 0)) {
    throw new ShapeError(
      `Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:${fmtShape(input.shape)}`,
    );
  }
  const x = input.ndim === 3 ? input.unsqueeze(0) : input;
  const [, c, h, w] = x.shape;
  const out: [number, number] = [
    pooledSize(h, kernel[0], padding[0], stride[0], dilation[0], ceil),
    pooledSize(w, kernel[1], padding[1], stride[1], dilation[1], ceil),
  ];
  if (out[0] < 1 || out[1] < 1) {
    throw new ShapeError(
      `Given input size: (${c}x${h}x${w}). Calculated output size: (${c}x${out[0]}x${out[1]}). Output size is too small`,
    );
  }
  return { x, unbatched: input.ndim === 3, kernel, stride, padding, dilation, out };
}

function maxPool2dImpl(input: Tensor, kernelSize: IntOrTuple, options: MaxPoolOptions): [Tensor, Tensor] {
  const p = pool2d("max_pool2d", input, kernelSize, options);
  const [y, i] = maxPoolPrimitive(p.x, {
    kernelSize: p.kernel, stride: p.stride, padding: p.padding, dilation: p.dilation, outputSize: p.out,
  });
  return p.unbatched ? [y.squeeze(0), i.squeeze(0)] : [y, i];
}

/**
 * torch's F.max_pool2d: the max over each (dilated) window of input (n, c, h, w) or (c, h, w);
 * with `returnIndices`, also the int32 index of each maximum in its flattened (h, w) plane
 * (torch's are int64). Ties take the first maximum and NaN propagates, as torch; the gradient
 * goes to the taken element (summed where windows overlap).
 *
 * @example
 * ```ts
 * F.maxPool2d(randn([8, 16, 24, 24]), 2).shape; // [8, 16, 12, 12]
 * const [y, indices] = F.maxPool2d(x, 3, { stride: 2, padding: 1, returnIndices: true });
 * ```
 */
export function maxPool2d(input: Tensor, kernelSize: IntOrTuple, options: MaxPoolOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: IntOrTuple, options?: MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(input: Tensor, kernelSize: IntOrTuple, options?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: IntOrTuple, options: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  const [y, i] = maxPool2dImpl(input, kernelSize, options);
  return options.returnIndices === true ? [y, i] : y;
}

/** The 1-D pools' argument: one int (or a list of one). */
function single(op: string, name: string, v: IntOrTuple): number {
  if (typeof v === "number") return v;
  if (v.length !== 1) throw new ArgumentError(`${op}: ${name} must be a single int, got [${v.join(", ")}]`);
  return v[0];
}

/**
 * torch's F.max_pool1d: the max over each window along the last dim of input (n, c, l) or
 * (c, l); `returnIndices` as maxPool2d (indices along l).
 *
 * @example
 * ```ts
 * F.maxPool1d(randn([4, 8, 100]), 3, { stride: 2 }).shape; // [4, 8, 49]
 * ```
 */
export function maxPool1d(input: Tensor, kernelSize: IntOrTuple, options: MaxPoolOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool1d(input: Tensor, kernelSize: IntOrTuple, options?: MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool1d(input: Tensor, kernelSize: IntOrTuple, options?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function maxPool1d(input: Tensor, kernelSize: IntOrTuple, options: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  const op = "max_pool1d";
  checkFloating(op, "input", input);
  if (input.ndim !== 2 && input.ndim !== 3) {
    throw new ShapeError(
      `max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:${fmtShape(input.shape)}`,
    );
  }
  const k = single(op, "kernel_size", kernelSize);
  const s = options.stride == null || (Array.isArray(options.stride) && options.stride.length === 0)
    ? k : single(op, "stride", options.stride);
  const p = single(op, "padding", options.padding ?? 0);
  const d = single(op, "dilation", options.dilation ?? 1);
  if (!(k > 0)) throw new ArgumentError(`max_pool1d() kernel_size must be greater than zero, but got ${k}`);
  if (!(s > 0)) throw new ArgumentError(`max_pool1d() stride must be greater than zero, but got ${s}`);
  if (!(p >= 0)) throw new ArgumentError(`max_pool1d() padding must be non-negative, but got ${p}`);
  if (p > Math.floor(k / 2)) {
    throw new ArgumentError(`max_pool1d() padding should be at most half of kernel size, but got padding=${p} and kernel_size=${k}`);
  }
  if (!(d > 0)) throw new ArgumentError(`max_pool1d() dilation must be greater than zero, but got ${d}`);
  const l = input.shape[input.ndim - 1];
  const outL = pooledSize(l, k, p, s, d, options.ceilMode ?? false);
  if (outL < 1) throw new ShapeError(`max_pool1d() Invalid computed output size: ${outL}`);
  const x = input.unsqueeze(-2);
  const [y, i] = maxPool2dImpl(x, [1, k], { stride: [1, s], padding: [0, p], dilation: [1, d], ceilMode: options.ceilMode });
  const out: [Tensor, Tensor] = [y.squeeze(-2), i.squeeze(-2)];
  return options.returnIndices === true ? out : out[0];
}

/** The windows of an average pool along one dim (torch's CPU kernel: clipped, divisor with or without the padding). */
function avgWindows(size: number, out: number, k: number, s: number, p: number, countPad: boolean): PoolWindows {
  const start = new Int32Array(out), end = new Int32Array(out), divisor = new Float64Array(out);
  for (let i = 0; i < out; i++) {
    let a = i * s - p;
    let b = Math.min(a + k, size + p);
    const poolSize = b - a;
    a = Math.max(a, 0);
    b = Math.min(b, size);
    start[i] = a;
    end[i] = b;
    divisor[i] = countPad ? poolSize : b - a;
  }
  return { start, end, divisor };
}

function constantWindows(w: PoolWindows, value: number): PoolWindows {
  return { start: w.start, end: w.end, divisor: new Float64Array(w.start.length).fill(value) };
}

/**
 * torch's F.avg_pool2d: the mean over each window of input (n, c, h, w) or (c, h, w). The
 * divisor is the window's size counting the zero padding (`countIncludePad`, the default) or
 * only the input elements under it, or `divisorOverride`.
 *
 * @example
 * ```ts
 * F.avgPool2d(randn([8, 16, 24, 24]), 2).shape; // [8, 16, 12, 12]
 * ```
 */
export function avgPool2d(input: Tensor, kernelSize: IntOrTuple, options: AvgPool2dOptions = {}): Tensor {
  const p = pool2d("avg_pool2d", input, kernelSize, { stride: options.stride, padding: options.padding, ceilMode: options.ceilMode });
  const countPad = options.countIncludePad ?? true;
  const override = options.divisorOverride ?? null;
  if (override !== null && override === 0) throw new ArgumentError("divisor must be not zero");
  const [h, w] = p.x.shape.slice(2);
  let rows = avgWindows(h, p.out[0], p.kernel[0], p.stride[0], p.padding[0], countPad);
  let cols = avgWindows(w, p.out[1], p.kernel[1], p.stride[1], p.padding[1], countPad);
  if (override !== null) {
    rows = constantWindows(rows, override);
    cols = constantWindows(cols, 1);
  }
  const y = avgPoolWindows(p.x, rows, cols);
  return p.unbatched ? y.squeeze(0) : y;
}

/**
 * torch's F.avg_pool1d: the mean over each window along the last dim of input (n, c, l) or (c, l).
 *
 * @example
 * ```ts
 * F.avgPool1d(randn([4, 8, 100]), 4).shape; // [4, 8, 25]
 * ```
 */
export function avgPool1d(input: Tensor, kernelSize: IntOrTuple, options: AvgPoolOptions = {}): Tensor {
  checkFloating("avg_pool1d", "input", input);
  if (input.ndim !== 2 && input.ndim !== 3) {
    throw new ShapeError(
      `Expected 2 to 3 dimensions, but got ${input.ndim}-dimensional tensor for argument #1 'self' (while checking ` +
        "arguments for avg_pool1d)",
    );
  }
  const op = "avg_pool1d";
  const k = single(op, "kernel_size", kernelSize);
  const s = options.stride == null || (Array.isArray(options.stride) && options.stride.length === 0)
    ? k : single(op, "stride", options.stride);
  const y = avgPool2d(input.unsqueeze(-2), [1, k], {
    stride: [1, s], padding: [0, single(op, "padding", options.padding ?? 0)],
    ceilMode: options.ceilMode, countIncludePad: options.countIncludePad,
  });
  return y.squeeze(-2);
}

/** An adaptive pool's output size: an int, or one per dim where null keeps the input's size. */
export type AdaptiveSize = number | null | readonly (number | null)[];

/**
 * torch's F.adaptive_avg_pool2d: input (n, c, h, w) or (c, h, w) averaged to outputSize;
 * output (i, j) averages rows [floor(i*h/oh), ceil((i+1)*h/oh)) and the columns likewise.
 *
 * @example
 * ```ts
 * F.adaptiveAvgPool2d(randn([8, 512, 7, 7]), 1).shape; // [8, 512, 1, 1]
 * ```
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: AdaptiveSize): Tensor {
  checkFloating("adaptive_avg_pool2d", "input", input);
  if (input.ndim !== 3 && input.ndim !== 4) {
    throw new ShapeError(`adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got ${fmtShape(input.shape)}`);
  }
  const sizes = outputSize === null || typeof outputSize === "number" ? [outputSize, outputSize] : [...outputSize];
  if (sizes.length !== 2) throw new ArgumentError("adaptive_avg_pool2d: output_size must be 2");
  for (let d = input.ndim - 2; d < input.ndim; d++) {
    if (input.shape[d] === 0) {
      throw new ShapeError(
        `adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes ` +
          `${fmtShape(input.shape)} with dimension ${d} being empty`,
      );
    }
  }
  const x = input.ndim === 3 ? input.unsqueeze(0) : input;
  const [h, w] = x.shape.slice(2);
  const oh = sizes[0] ?? h, ow = sizes[1] ?? w;
  if (!(Number.isInteger(oh) && Number.isInteger(ow) && oh >= 0 && ow >= 0)) {
    throw new ArgumentError(`adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {${oh}, ${ow}}`);
  }
  if (oh === 0 || ow === 0) {
    const empty = Tensor.empty([x.shape[0], x.shape[1], oh, ow], x.dtype);
    return input.ndim === 3 ? empty.squeeze(0) : empty;
  }
  const y = avgPoolWindows(x, adaptiveWindows(h, oh), adaptiveWindows(w, ow));
  return input.ndim === 3 ? y.squeeze(0) : y;
}

function adaptiveWindows(size: number, out: number): PoolWindows {
  const start = new Int32Array(out), end = new Int32Array(out), divisor = new Float64Array(out);
  for (let i = 0; i < out; i++) {
    start[i] = Math.floor((i * size) / out);
    end[i] = Math.floor(((i + 1) * size + out - 1) / out);
    divisor[i] = end[i] - start[i];
  }
  return { start, end, divisor };
}
