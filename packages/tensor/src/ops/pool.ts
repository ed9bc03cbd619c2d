import { isGradEnabled, noGrad } from "../autograd/grad-mode";
import { twice } from "../autograd/node";
import { record } from "../autograd/record";
import { isFloating, type FloatArray } from "../dtype";
import { ArgumentError, DTypeError, ShapeError, fmtShape } from "../errors";
import type { Window2d } from "../kernels/im2col";
import * as k from "../kernels/pool";
import { Tensor, checkAlive } from "../tensor";
import { scatterAdd } from "./gather";
import { clone } from "./movement";

export type { PoolWindows } from "../kernels/pool";

/**
 * A max pool's window, every size resolved: kernel, stride, symmetric padding (implicit
 * -infinity), dilation, and the output size (which ceil mode decides, so the caller does).
 */
export interface MaxPoolWindow2d {
  /** (kh, kw). */
  readonly kernelSize: readonly [number, number];
  /** (sH, sW). */
  readonly stride: readonly [number, number];
  /** (pH, pW), before and after each dim. */
  readonly padding: readonly [number, number];
  /** (dH, dW). */
  readonly dilation: readonly [number, number];
  /** (outH, outW). */
  readonly outputSize: readonly [number, number];
}

function planesOf(op: string, x: Tensor): [Tensor, number, number, number] {
  checkAlive(op, x);
  if (!isFloating(x.dtype)) throw new DTypeError(`${op}: expected a floating point tensor, got ${x.dtype}`);
  if (x.ndim !== 4) throw new ShapeError(`${op}: expected a 4-D input (n, c, h, w), got shape ${fmtShape(x.shape)}`);
  const src = x.isContiguous ? x : noGrad(() => clone(x));
  return [src, x.shape[0] * x.shape[1], x.shape[2], x.shape[3]];
}

/**
 * Max pooling of x (n, c, h, w) with the int32 flat index (y*w + x within each plane) of
 * every maximum, as torch's max_pool2d_with_indices (torch's indices are int64). Ties go to
 * the first maximum, a NaN wins. The backward adds each gradient at its index, so the
 * gradient of overlapping windows sums.
 */
export function maxPool2dWithIndices(x: Tensor, window: MaxPoolWindow2d): [Tensor, Tensor] {
  const op = "maxPool2d";
  const [src, planes, h, w] = planesOf(op, x);
  const [outH, outW] = window.outputSize;
  const sizes = [...window.kernelSize, ...window.stride, ...window.dilation, outH, outW];
  if (!sizes.every((v) => Number.isInteger(v) && v > 0) || !window.padding.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new ArgumentError(
      `${op}: kernel size, stride, dilation and output size must be positive integers and padding non-negative, ` +
        `got kernel ${fmtShape(window.kernelSize)}, stride ${fmtShape(window.stride)}, dilation ` +
        `${fmtShape(window.dilation)}, padding ${fmtShape(window.padding)}, output ${fmtShape(window.outputSize)}`,
    );
  }
  const win: Window2d = {
    kh: window.kernelSize[0], kw: window.kernelSize[1], strideH: window.stride[0], strideW: window.stride[1],
    padTop: window.padding[0], padLeft: window.padding[1], dilH: window.dilation[0], dilW: window.dilation[1], outH, outW,
  };
  const shape = [x.shape[0], x.shape[1], outH, outW];
  const out = Tensor._uninitialized(shape, x.dtype);
  const indices = Tensor._uninitialized(shape, "int32");
  const idx = indices._data as Int32Array;
  k.maxPool2d(out._data as FloatArray, idx, src._data as FloatArray, src.offset, planes, h, w, win);
  const inShape = x.shape, dtype = x.dtype;
  record(out, "MaxPool2DWithIndicesBackward", [x], twice((g) => {
    if (isGradEnabled()) {
      // createGraph: the same adds as a recorded scatterAdd of g at the flat indices of each plane
      const [n, c] = inShape;
      const flat = scatterAdd(Tensor.empty([n, c, h * w], dtype), 2, indices.reshape([n, c, outH * outW]), g.reshape([n, c, outH * outW]));
      return [flat.reshape(inShape)];
    }
    const gc = g.contiguous();
    const gx = Tensor.empty(inShape, dtype);
    k.maxPool2dBackward(gx._data as FloatArray, gc._data as FloatArray, gc.offset, idx, planes, h * w, outH * outW);
    return [gx];
  }));
  return [out, indices];
}

function checkWindows(op: string, which: string, win: k.PoolWindows, size: number): void {
  const n = win.start.length;
  let ok = n > 0 && win.end.length === n && win.divisor.length === n;
  for (let i = 0; ok && i < n; i++) ok = win.start[i] >= 0 && win.end[i] <= size && win.divisor[i] !== 0;
  if (!ok) throw new ArgumentError(`${op}: invalid ${which} windows for an input dim of size ${size}`);
}

/**
 * Average pooling of x (n, c, h, w) over windows given per dim: output (i, j) is the sum of
 * x over rows [rows.start[i], rows.end[i]) and cols [cols.start[j], cols.end[j]), divided by
 * rows.divisor[i] * cols.divisor[j]. torch's avg_pool2d (padding counted or not, a divisor
 * override) and adaptive_avg_pool2d are both this, with different windows. The backward
 * spreads each gradient, divided the same way, over its window.
 */
export function avgPool2d(x: Tensor, rows: k.PoolWindows, cols: k.PoolWindows): Tensor {
  const op = "avgPool2d";
  const [src, planes, h, w] = planesOf(op, x);
  checkWindows(op, "row", rows, h);
  checkWindows(op, "column", cols, w);
  const out = Tensor._uninitialized([x.shape[0], x.shape[1], rows.start.length, cols.start.length], x.dtype);
  k.avgPool2d(out._data as FloatArray, src._data as FloatArray, src.offset, planes, h, w, rows, cols);
  const inShape = x.shape;
  return record(out, "AvgPool2DBackward", [x], twice((g) => [avgPoolSpread(g, rows, cols, inShape)]));
}

/**
 * Average pooling's backward as an op of its own: each gradient, divided as the forward
 * divides, spread over its window. It is linear, and its backward is the pooling itself (the
 * two are each other's adjoint), so second derivatives go through both.
 */
function avgPoolSpread(g: Tensor, rows: k.PoolWindows, cols: k.PoolWindows, inShape: readonly number[]): Tensor {
  const gc = g.contiguous();
  const gx = Tensor.empty(inShape, g.dtype);
  k.avgPool2dBackward(gx._data as FloatArray, gc._data as FloatArray, gc.offset, inShape[0] * inShape[1], inShape[2], inShape[3], rows, cols);
  return record(gx, "AvgPool2DSpreadBackward", [g], twice((gg) => [avgPool2d(gg, rows, cols)]));
}
