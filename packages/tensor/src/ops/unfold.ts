import { noGrad } from "../autograd/grad-mode";
import { twice } from "../autograd/node";
import { record } from "../autograd/record";
import { isFloating, type FloatArray } from "../dtype";
import { ArgumentError, DTypeError, ShapeError, fmtShape } from "../errors";
import * as k from "../kernels/im2col";
import { Tensor, checkAlive } from "../tensor";
import { clone } from "./movement";

/**
 * A 2-D sliding window, every size resolved: kernel (kh, kw), stride, dilation, and the
 * padding [top, bottom, left, right] (asymmetric allowed, as a 'same' convolution with an even
 * kernel needs). All positive, except the padding: non-negative before each dim; after it, any
 * integer (a negative amount drops the last rows or columns, as a transposed convolution's
 * output padding needs).
 */
export interface SlidingWindow2d {
  /** (kh, kw). */
  readonly kernelSize: readonly [number, number];
  /** (sH, sW). */
  readonly stride: readonly [number, number];
  /** [top, bottom, left, right]: zeros added around each (h, w) plane. */
  readonly padding: readonly [number, number, number, number];
  /** (dH, dW): the step between kernel taps. */
  readonly dilation: readonly [number, number];
}

/**
 * The number of window positions along (h, w) of a plane of `size`:
 * floor((size + padBefore + padAfter - dilation*(k - 1) - 1) / stride) + 1 per dim, as torch.
 */
export function slidingBlocks(size: readonly [number, number], w: SlidingWindow2d): [number, number] {
  const [p0, p1, p2, p3] = w.padding;
  const outH = Math.floor((size[0] + p0 + p1 - w.dilation[0] * (w.kernelSize[0] - 1) - 1) / w.stride[0]) + 1;
  const outW = Math.floor((size[1] + p2 + p3 - w.dilation[1] * (w.kernelSize[1] - 1) - 1) / w.stride[1]) + 1;
  return [outH, outW];
}

function checkWindow(op: string, w: SlidingWindow2d): void {
  const positive = [...w.kernelSize, ...w.stride, ...w.dilation];
  if (!positive.every((v) => Number.isInteger(v) && v > 0) || !w.padding.every((v, i) => Number.isInteger(v) && (v >= 0 || i % 2 === 1))) {
    throw new ArgumentError(
      `${op}: kernel size, stride and dilation must be positive integers and padding before each dim non-negative, got kernel ` +
        `${fmtShape(w.kernelSize)}, stride ${fmtShape(w.stride)}, dilation ${fmtShape(w.dilation)}, padding ${fmtShape(w.padding)}`,
    );
  }
}

function kernelWindow(w: SlidingWindow2d, outH: number, outW: number): k.Window2d {
  return {
    kh: w.kernelSize[0], kw: w.kernelSize[1], strideH: w.stride[0], strideW: w.stride[1],
    padTop: w.padding[0], padLeft: w.padding[2], dilH: w.dilation[0], dilW: w.dilation[1], outH, outW,
  };
}

function checkFloat(op: string, x: Tensor): void {
  if (!isFloating(x.dtype)) throw new DTypeError(`${op}: expected a floating point tensor, got ${x.dtype}`);
}

/**
 * im2col (torch's F.unfold on a batch): the patches of x (n, c, h, w) under the window, as
 * the columns of (n, c*kh*kw, L), L = outH*outW window positions in row-major order;
 *   out[b, (ch*kh + i)*kw + j, y*outW + x] = xpad[b, ch, y*sH + i*dH, x*sW + j*dW]
 * with xpad the zero-padded input. The backward is col2im: each column entry is added back
 * where it was read from.
 *
 * `batchInner` lays the storage out as (c*kh*kw, n, L) and returns the (n, c*kh*kw, L) view
 * of it, so that `.permute([1, 0, 2]).reshape([rows, n*L])` is a view: a convolution's one
 * product over the whole batch.
 */
export function im2col(x: Tensor, window: SlidingWindow2d, { batchInner = false }: { batchInner?: boolean } = {}): Tensor {
  const op = "im2col";
  checkAlive(op, x);
  checkFloat(op, x);
  if (x.ndim !== 4) throw new ShapeError(`${op}: expected a 4-D input (n, c, h, w), got shape ${fmtShape(x.shape)}`);
  checkWindow(op, window);
  const [n, c, h, w] = x.shape;
  const [outH, outW] = slidingBlocks([h, w], window);
  if (outH < 1 || outW < 1) {
    throw new ShapeError(
      `${op}: the window (kernel ${fmtShape(window.kernelSize)}, dilation ${fmtShape(window.dilation)}, padding ` +
        `${fmtShape(window.padding)}) does not fit in the input of shape ${fmtShape(x.shape)}`,
    );
  }
  const rows = c * window.kernelSize[0] * window.kernelSize[1];
  const L = outH * outW;
  const src = x.isContiguous ? x : noGrad(() => clone(x));
  const out = batchInner
    ? Tensor._uninitialized([rows, n, L], x.dtype)._view([n, rows, L], [L, n * L, 1], 0)
    : Tensor._uninitialized([n, rows, L], x.dtype);
  const layout = { offset: 0, batchStride: out.strides[0], rowStride: out.strides[1] };
  k.im2col(out._data as FloatArray, layout, src._data as FloatArray, src.offset, n, c, h, w, kernelWindow(window, outH, outW));
  out._base = null; // a fresh tensor over fresh storage, not a view of anything in the graph
  // col2im is itself recorded (its backward is im2col), so a convolution has second derivatives.
  return record(out, "Im2ColBackward", [x], twice((g) => [col2im(g, [h, w], window)]));
}

/**
 * col2im (torch's F.fold on a batch), the adjoint of im2col: cols (n, c*kh*kw, L) summed
 * into (n, c, h, w), each entry added at the input position im2col reads it from (entries
 * over the padding dropped). L must be the number of window positions on an (h, w) plane.
 * The backward is im2col.
 */
export function col2im(cols: Tensor, outputSize: readonly [number, number], window: SlidingWindow2d): Tensor {
  const op = "col2im";
  checkAlive(op, cols);
  checkFloat(op, cols);
  checkWindow(op, window);
  const [h, w] = outputSize;
  const taps = window.kernelSize[0] * window.kernelSize[1];
  const [outH, outW] = slidingBlocks([h, w], window);
  if (cols.ndim !== 3 || cols.shape[1] % taps !== 0 || cols.shape[2] !== outH * outW || outH < 1 || outW < 1) {
    throw new ShapeError(
      `${op}: expected columns (n, c*${taps}, ${Math.max(outH, 0) * Math.max(outW, 0)}) for an output of size ` +
        `${fmtShape(outputSize)} and kernel ${fmtShape(window.kernelSize)}, got shape ${fmtShape(cols.shape)}`,
    );
  }
  const [n, rows] = cols.shape;
  const c = rows / taps;
  // The kernel reads any (batch, row) strides with L contiguous: both layouts of im2col.
  const src = cols.strides[2] === 1 || cols.shape[2] === 1 ? cols : noGrad(() => clone(cols));
  const out = Tensor.empty([n, c, h, w], cols.dtype);
  const layout = { offset: src.offset, batchStride: src.strides[0], rowStride: src.strides[1] };
  k.col2im(out._data as FloatArray, 0, n, c, h, w, src._data as FloatArray, layout, kernelWindow(window, outH, outW));
  return record(out, "Col2ImBackward", [cols], twice((g) => [im2col(g, window)]));
}
