import { ArgumentError, ShapeError, Tensor, col2im, im2col, slidingBlocks, type SlidingWindow2d } from "@minigrad/tensor";
import { checkFloating } from "./util";
import type { IntOrTuple } from "./conv";

/** Options of `unfold` and `fold` (torch's defaults). */
export interface UnfoldOptions {
  /** The step between kernel taps (1). */
  dilation?: IntOrTuple;
  /** Implicit zeros on both sides of each spatial dim (0). */
  padding?: IntOrTuple;
  /** The step between window positions (1). */
  stride?: IntOrTuple;
}

/** (a, b) from an int or a pair, as torch's `_pair`; `name` for the message. */
export function pair(op: string, name: string, value: IntOrTuple): [number, number] {
  if (typeof value === "number") return [value, value];
  if (value.length === 1) return [value[0], value[0]];
  if (value.length !== 2) throw new ArgumentError(`${op}: ${name} must be a single int or a pair of ints, got [${value.join(", ")}]`);
  return [value[0], value[1]];
}

const tuple = (v: readonly number[]): string => `(${v.join(", ")})`;

/** The window of unfold/fold, checked with torch's messages (im2col_shape_check's first checks). */
function windowOf(op: string, kernelSize: IntOrTuple, options: UnfoldOptions): SlidingWindow2d {
  const [kh, kw] = pair(op, "kernel_size", kernelSize);
  const [dh, dw] = pair(op, "dilation", options.dilation ?? 1);
  const [ph, pw] = pair(op, "padding", options.padding ?? 0);
  const [sh, sw] = pair(op, "stride", options.stride ?? 1);
  if (!(kh > 0 && kw > 0)) {
    throw new ArgumentError(`kernel size should be greater than zero, but got kernel_height: ${kh} kernel_width: ${kw}`);
  }
  if (!(sh > 0 && sw > 0)) {
    throw new ArgumentError(`stride should be greater than zero, but got stride_height: ${sh} stride_width: ${sw}`);
  }
  if (!(dh > 0 && dw > 0)) {
    throw new ArgumentError(`dilation should be greater than zero, but got dilation_height: ${dh} dilation_width: ${dw}`);
  }
  if (!(ph >= 0 && pw >= 0)) {
    throw new ArgumentError(`padding should be non-negative, but got pad_height: ${ph} pad_width: ${pw}`);
  }
  return { kernelSize: [kh, kw], dilation: [dh, dw], padding: [ph, ph, pw, pw], stride: [sh, sw] };
}

/** `kernel_size=(2, 2), dilation=(1, 1), padding=(0, 0)` as torch prints a window. */
function describe(w: SlidingWindow2d, withStride: boolean): string {
  const s = `kernel_size=${tuple(w.kernelSize)}, dilation=${tuple(w.dilation)}, padding=${tuple([w.padding[0], w.padding[2]])}`;
  return withStride ? `${s}, stride=${tuple(w.stride)}` : s;
}

/**
 * torch's F.unfold (im2col): the sliding kernel-sized blocks of input (n, c, h, w) or
 * (c, h, w) as columns, (n, c*kh*kw, L) with L the number of block positions; block entries
 * in the padding are 0. Differentiable (the backward is fold).
 *
 * @example
 * ```ts
 * F.unfold(randn([1, 3, 5, 5]), 2).shape; // [1, 12, 16]
 * ```
 */
export function unfold(input: Tensor, kernelSize: IntOrTuple, options: UnfoldOptions = {}): Tensor {
  checkFloating("unfold", "input", input);
  const window = windowOf("unfold", kernelSize, options);
  if (input.ndim !== 3 && input.ndim !== 4) {
    throw new ShapeError(`Input Error: Only 3D or 4D input Tensors are supported (got ${input.ndim}D)`);
  }
  const x = input.ndim === 3 ? input.unsqueeze(0) : input;
  const blocks = slidingBlocks([x.shape[2], x.shape[3]], window);
  if (blocks[0] < 1 || blocks[1] < 1) {
    throw new ShapeError(
      `Given input with spatial size ${tuple(x.shape.slice(2))}, ${describe(window, false)}, calculated shape of the ` +
        `array of sliding blocks as ${tuple(blocks)}, but its components must be at least one.`,
    );
  }
  const cols = im2col(x, window);
  return input.ndim === 3 ? cols.squeeze(0) : cols;
}

/**
 * torch's F.fold (col2im), the adjoint of unfold: columns (n, c*kh*kw, L) or (c*kh*kw, L)
 * summed into (n, c, outputSize[0], outputSize[1]), overlapping block entries added.
 * Differentiable (the backward is unfold).
 *
 * @example
 * ```ts
 * F.fold(F.unfold(x, 2), [x.shape[2], x.shape[3]], 2); // x times how many blocks cover each pixel
 * ```
 */
export function fold(input: Tensor, outputSize: IntOrTuple, kernelSize: IntOrTuple, options: UnfoldOptions = {}): Tensor {
  checkFloating("fold", "input", input);
  const window = windowOf("fold", kernelSize, options);
  const [oh, ow] = pair("fold", "output_size", outputSize);
  if (!(oh > 0 && ow > 0)) {
    throw new ArgumentError(`output_size should be greater than zero, but got output_height: ${oh} output_width: ${ow}`);
  }
  if (input.ndim !== 2 && input.ndim !== 3) {
    throw new ShapeError(`Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got ${input.ndim}D)`);
  }
  const x = input.ndim === 2 ? input.unsqueeze(0) : input;
  const taps = window.kernelSize[0] * window.kernelSize[1];
  if (x.shape[1] % taps !== 0) {
    throw new ShapeError(
      `Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got ` +
        `input.size(1)=${x.shape[1]} and kernel_size=${tuple(window.kernelSize)}.`,
    );
  }
  const blocks = slidingBlocks([oh, ow], window);
  if (blocks[0] < 1 || blocks[1] < 1 || blocks[0] * blocks[1] !== x.shape[2]) {
    throw new ShapeError(
      `Given output_size=${tuple([oh, ow])}, ${describe(window, true)}, expected size of input's dimension 2 to match ` +
        `the calculated number of sliding blocks ${blocks[0]} * ${blocks[1]} = ${blocks[0] * blocks[1]}, but got ` +
        `input.size(2)=${x.shape[2]}.`,
    );
  }
  const out = col2im(x, [oh, ow], window);
  return input.ndim === 2 ? out.squeeze(0) : out;
}
