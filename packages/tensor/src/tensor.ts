import { allocate, type DType, type TypedArray } from "./dtype";
import { formatTensor } from "./format";
import { contiguousStrides, mapDims, numelOf } from "./shape";
import * as cmp from "./ops/compare";
import * as ew from "./ops/elementwise";
import * as inplace from "./ops/inplace";
import * as products from "./ops/matmul";
import * as ix from "./ops/index-select";
import * as gx from "./ops/gather";
import * as ra from "./ops/rearrange";
import * as mv from "./ops/movement";
import * as red from "./ops/reduce";
import { toNdarray } from "./ndarray";
import { isGradEnabled } from "./autograd/grad-mode";
import { checkAlive } from "./tensor-base";
import { TensorAutograd } from "./tensor-autograd";
import type { NdArray } from "ndarray";

export type { NestedArray } from "./nested";
export { checkAlive, TensorBase, type VersionCounter } from "./tensor-base";
export { TensorAutograd, type RemovableHook } from "./tensor-autograd";

/**
 * A strided view over typed-array storage (TensorBase, tensor-base.ts: element (i, j, ...) at
 * `storage[offset + i*strides[0] + j*strides[1] + ...]`), with reverse-mode autograd
 * (TensorAutograd, tensor-autograd.ts: requiresGrad, grad, backward, hooks).
 * Views (transpose, narrow, expand, ...) share storage and never copy.
 *
 * Methods are thin: each forwards to a differentiable primitive in ops/ (forward and
 * backward side by side) or is a composite of primitives with no backward of its own.
 */
export class Tensor extends TensorAutograd {
  /** @internal a new contiguous tensor whose elements are not cleared: for kernels that write them all. */
  static _uninitialized(shape: readonly number[], dtype: DType): Tensor {
    return new Tensor(allocate(dtype, numelOf(shape), false), shape, contiguousStrides(shape), 0, dtype);
  }

  /** A new contiguous, zero-filled tensor. */
  static empty(shape: readonly number[], dtype: DType): Tensor {
    return new Tensor(allocate(dtype, numelOf(shape)), shape, contiguousStrides(shape), 0, dtype);
  }

  /** @internal a view over this tensor's storage that shares its version counter. */
  _view(shape: readonly number[], strides: readonly number[], offset: number): Tensor {
    const t = new Tensor(this._data, shape, strides, offset, this.dtype);
    t._version = this._version;
    t._base = this._base ?? this;
    return t;
  }

  // ---------------------------------------------------------------- elementwise

  /** Elementwise this + other, broadcast, as torch.add; d/dthis = 1, d/dother = 1. */
  add(other: Tensor | number): Tensor { return ew.add(this, other); }
  /** Elementwise this - other, broadcast, as torch.sub; d/dthis = 1, d/dother = -1. */
  sub(other: Tensor | number): Tensor { return ew.sub(this, other); }
  /** Elementwise this * other, broadcast, as torch.mul; d/dthis = other, d/dother = this. */
  mul(other: Tensor | number): Tensor { return ew.mul(this, other); }
  /**
   * Elementwise true division this / other, broadcast (integers give float32), as torch.div;
   * d/dthis = 1/other, d/dother = -this/other^2.
   */
  div(other: Tensor | number): Tensor { return ew.div(this, other); }
  /**
   * Elementwise this ** p (p = exponent), broadcast, as torch.pow; d/dthis = p * this^(p-1)
   * (0 where p == 0), d/dp = this^p * ln(this) (0 where this == 0 and p >= 0), as torch.
   */
  pow(exponent: Tensor | number): Tensor { return ew.pow(this, exponent); }
  /** Elementwise max, as torch.maximum; the gradient goes to the larger input, halved on ties. */
  maximum(other: Tensor | number): Tensor { return ew.maximum(this, other); }
  /** Elementwise min, as torch.minimum; the gradient goes to the smaller input, halved on ties. */
  minimum(other: Tensor | number): Tensor { return ew.minimum(this, other); }
  /** Elementwise -x; d/dx = -1. Refuses bool tensors, as torch. */
  neg(): Tensor { return ew.neg(this); }
  /** Elementwise e^x (integers compute in float32); d/dx = e^x. */
  exp(): Tensor { return ew.exp(this); }
  /** Elementwise natural log ln x (integers compute in float32); d/dx = 1/x. */
  log(): Tensor { return ew.log(this); }
  /** Elementwise square root (integers compute in float32); d/dx = 1 / (2 sqrt x). */
  sqrt(): Tensor { return ew.sqrt(this); }
  /** Elementwise |x|; d/dx = sign(x), 0 at 0 as torch. */
  abs(): Tensor { return ew.abs(this); }
  /** Elementwise tanh x; d/dx = 1 - tanh^2 x. */
  tanh(): Tensor { return ew.tanh(this); }
  /** Elementwise logistic sigmoid 1 / (1 + e^-x); d/dx = s (1 - s) with s the output. */
  sigmoid(): Tensor { return ew.sigmoid(this); }
  /** Elementwise max(x, 0); d/dx = 1 where x > 0, else 0 (0 at x = 0, as torch). */
  relu(): Tensor { return ew.relu(this); }
  /** The exact gelu, x * Phi(x), as torch's default (approximate='none'). */
  gelu(): Tensor { return ew.gelu(this); }
  /**
   * Clamp into [min, max], either bound omittable (not both), as torch.clamp; d/dx = 1 inside
   * the bounds (inclusive), else 0. With min > max every element is max, as torch.
   */
  clamp(min?: number | null, max?: number | null): Tensor { return ew.clamp(this, min, max); }
  /** Elementwise x * x; d/dx = 2x. */
  square(): Tensor { return ew.mul(this, this); }

  /** Elementwise this > other into a bool tensor, broadcast; not differentiable (as torch.gt). */
  gt(other: Tensor | number): Tensor { return cmp.compare("gt", this, other); }
  /** Elementwise this < other into a bool tensor, broadcast; not differentiable (as torch.lt). */
  lt(other: Tensor | number): Tensor { return cmp.compare("lt", this, other); }
  /** Elementwise this >= other into a bool tensor, broadcast; not differentiable (as torch.ge). */
  ge(other: Tensor | number): Tensor { return cmp.compare("ge", this, other); }
  /** Elementwise this <= other into a bool tensor, broadcast; not differentiable (as torch.le). */
  le(other: Tensor | number): Tensor { return cmp.compare("le", this, other); }
  /** Elementwise this == other into a bool tensor, broadcast; not differentiable (as torch.eq). */
  eq(other: Tensor | number): Tensor { return cmp.compare("eq", this, other); }
  /** Elementwise this != other into a bool tensor, broadcast; not differentiable (as torch.ne). */
  ne(other: Tensor | number): Tensor { return cmp.compare("ne", this, other); }

  // ---------------------------------------------------------------- linear algebra

  /** torch.matmul: dot (1-D, 1-D), matrix products, batched with broadcast batch dims. */
  matmul(other: Tensor): Tensor { return products.matmul(this, other); }
  /** torch.mm: this (n, m) @ other (m, p), both matrices of one dtype; no broadcasting. */
  mm(other: Tensor): Tensor { return products.mm(this, other); }
  /** torch.addmm (beta = alpha = 1): this + mat1 @ mat2, this broadcast to the product's shape. */
  addmm(mat1: Tensor, mat2: Tensor): Tensor { return products.addmm(this, mat1, mat2); }

  // ---------------------------------------------------------------- reductions

  /**
   * Sum over `dim` (all dims if omitted); keepdim keeps them as size 1, as torch.sum. Bools sum
   * to int32. The gradient is spread back over the summed dims.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).sum(1); // tensor([3., 7.])
   * ```
   */
  sum(dim?: number | readonly number[], keepdim = false): Tensor { return red.sum(this, dim, keepdim); }
  /** Mean over `dim` (all dims if omitted), as torch.mean; floating dtypes only; d/dx = 1/n. */
  mean(dim?: number | readonly number[], keepdim = false): Tensor { return red.mean(this, dim, keepdim); }
  /** Max over `dim` (all if omitted), as torch.amax; the gradient is split among tied maxima. */
  amax(dim?: number | readonly number[], keepdim = false): Tensor { return red.amax(this, dim, keepdim); }
  /** Min over `dim` (all if omitted), as torch.amin; the gradient is split among tied minima. */
  amin(dim?: number | readonly number[], keepdim = false): Tensor { return red.amin(this, dim, keepdim); }
  /** Variance; unbiased (divides by n - 1) unless `unbiased` is false, as torch.var. */
  var(dim?: number | readonly number[], keepdim = false, unbiased = true): Tensor {
    return red.variance(this, dim, keepdim, unbiased);
  }
  /**
   * Int32 index of the largest value along `dim` (of the flattened tensor if omitted), first on
   * ties and at a NaN if any, as torch.argmax; not differentiable.
   */
  argmax(dim?: number, keepdim = false): Tensor { return red.argmax(this, dim, keepdim); }
  /**
   * e^x / sum(e^x) along `dim`, computed stably (max subtracted), as torch.softmax;
   * the backward is y * (g - sum(g * y)).
   */
  softmax(dim: number): Tensor { return red.softmax(this, dim); }
  /**
   * log(softmax(x)) along `dim`, without the round trip through exp, as torch.log_softmax;
   * the backward is g - softmax(x) * sum(g).
   */
  logSoftmax(dim: number): Tensor { return red.logSoftmax(this, dim); }

  // ---------------------------------------------------------------- shape (views where possible)

  /** A view when the strides allow it, else a copy (as torch.reshape). One -1 is inferred. */
  reshape(shape: readonly number[]): Tensor { return mv.reshape(this, shape); }
  /** Like reshape but never copies: throws when the layout does not allow a view. */
  view(shape: readonly number[]): Tensor { return mv.view(this, shape); }
  /** A view with dims `dim0` and `dim1` swapped (negative dims wrap), as torch.transpose. */
  transpose(dim0: number, dim1: number): Tensor { return mv.transpose(this, dim0, dim1); }
  /** torch's `.T` for 2-D tensors: the transpose of the last two dims reversed. */
  get T(): Tensor { return mv.permute(this, mapDims(this.ndim, (i) => this.ndim - 1 - i)); }
  /** A view with the dims reordered: output dim i is input dim `dims[i]`, as torch.permute. */
  permute(dims: readonly number[]): Tensor { return mv.permute(this, dims); }
  /** Insert a size-1 dim at `dim` (negative counts from the end), as torch.unsqueeze. */
  unsqueeze(dim: number): Tensor { return mv.unsqueeze(this, dim); }
  /** Drop size-1 dims: all, or only `dim` (unchanged if not size 1), as torch.squeeze. */
  squeeze(dim?: number): Tensor { return mv.squeeze(this, dim); }
  /**
   * Broadcast to `shape` without copying (stride 0; -1 keeps a size), as torch.expand; the
   * gradient is summed back over the expanded dims.
   */
  expand(shape: readonly number[]): Tensor { return mv.expand(this, shape); }
  /** `expand(other.shape)`, as torch.expand_as. */
  expandAs(other: Tensor): Tensor { return mv.expand(this, other.shape); }
  /** A view of `length` entries along `dim` from `start` (may be negative), as torch.narrow. */
  narrow(dim: number, start: number, length: number): Tensor { return mv.narrow(this, dim, start, length); }
  /** A view at `index` along `dim`, that dim removed (negative index wraps), as torch.select. */
  select(dim: number, index: number): Tensor { return mv.select(this, dim, index); }
  /** torch.gather: out[..., j, ...] = this[..., index[..., j, ...], ...] along dim (index int32, same rank). */
  gather(dim: number, index: Tensor): Tensor { return gx.gather(this, dim, index); }
  /** torch.scatter_add, out of place: this with src added at index along dim. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return gx.scatterAdd(this, dim, index, src); }
  /** torch.flip: the elements in reverse order along each of dims. */
  flip(dims: number | readonly number[]): Tensor { return ra.flip(this, dims); }
  /** torch.roll: shifted along dims, wrapping around (the flattened tensor without dims). */
  roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor { return ra.roll(this, shifts, dims); }
  /** torch.Tensor.repeat: tiled sizes[i] times along each dim. */
  repeat(sizes: readonly number[]): Tensor { return ra.repeat(this, sizes); }
  /** torch.chunk: views along dim, `chunks` of them at most. */
  chunk(chunks: number, dim = 0): Tensor[] { return ra.chunk(this, chunks, dim); }
  /** torch.split: views along dim of splitSize each, or of the given sizes. */
  split(splitSize: number | readonly number[], dim = 0): Tensor[] { return ra.split(this, splitSize, dim); }
  /** torch.masked_fill: value where the bool mask (broadcast) is true. */
  maskedFill(mask: Tensor, value: number): Tensor { return ra.maskedFill(this, mask, value); }
  /** torch.index_select: the slices at `index` (int32, 0-d or 1-D) along dim, copied. */
  indexSelect(dim: number, index: Tensor): Tensor { return ix.indexSelect(this, dim, index); }
  /**
   * The Python slice `start:end:step` along `dim`, as a view: bounds may be negative or out of
   * range (clamped), step must be positive; as torch's `x[..., start:end:step]` on that dim.
   */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return mv.slice(this, dim, start, end, step);
  }
  /** Merge dims `startDim..endDim` (inclusive) into one, as torch.flatten (a view when it can). */
  flatten(startDim = 0, endDim = -1): Tensor { return mv.flatten(this, startDim, endDim); }
  /** This tensor if already contiguous, else a contiguous copy. */
  contiguous(): Tensor { return this.isContiguous ? this : mv.clone(this); }
  /** A copy in new contiguous storage; gradients flow back to this tensor. */
  clone(): Tensor { return mv.clone(this); }
  /** Cast to another dtype (this tensor if it already has it); differentiable between floats. */
  to(dtype: DType): Tensor { return mv.cast(this, dtype); }
  /** Cast to float32, as torch's `.float()`; `to("float32")`. */
  float(): Tensor { return mv.cast(this, "float32"); }
  /** Cast to float64, as torch's `.double()`; `to("float64")`. */
  double(): Tensor { return mv.cast(this, "float64"); }

  // ---------------------------------------------------------------- in place (bump the version)

  /** In place this += alpha * other (alpha 1 by default), other broadcast to this shape; add_. */
  add_(other: Tensor | number, options: { alpha?: number } = {}): this { return inplace.binary_(this, "add", other, options.alpha); }
  /** In place this -= alpha * other (alpha 1 by default), other broadcast to this shape; sub_. */
  sub_(other: Tensor | number, options: { alpha?: number } = {}): this { return inplace.binary_(this, "sub", other, options.alpha); }
  /** In place this *= other, other broadcast to this tensor's shape, as torch's mul_. */
  mul_(other: Tensor | number): this { return inplace.binary_(this, "mul", other); }
  /** In place this /= other (floating tensors only), other broadcast, as torch's div_. */
  div_(other: Tensor | number): this { return inplace.binary_(this, "div", other); }
  /** this += value * a * b */
  addcmul_(a: Tensor, b: Tensor, value = 1): this { return inplace.addcmul_(this, a, b, value); }
  /** this += value * a / b */
  addcdiv_(a: Tensor, b: Tensor, value = 1): this { return inplace.addcdiv_(this, a, b, value); }
  /** In place elementwise square root (floating tensors only), as torch's sqrt_. */
  sqrt_(): this { return inplace.unary_(this, "sqrt"); }
  /** In place clamp into [min, max], as torch's clamp_; the result must keep this dtype. */
  clamp_(min?: number | null, max?: number | null): this { return inplace.clamp_(this, min, max); }
  /** In place fill with 0, as torch's zero_. */
  zero_(): this { return inplace.fill_(this, 0); }
  /** In place fill with `value` (checked for int32; 0/1 for bool), as torch's fill_. */
  fill_(value: number): this { return inplace.fill_(this, value); }
  /** Copy src (broadcast to this shape, cast to this dtype) into this tensor's storage. */
  copy_(src: Tensor): this { return inplace.copy_(this, src); }

  // ---------------------------------------------------------------- data out

  /** A zero-copy `ndarray` view of the same storage (writes are shared). */
  toNdarray(): NdArray<TypedArray> {
    return toNdarray(this);
  }

  /** Prints like torch: `tensor([[1.0000, 2.5000]], requires_grad=True)`. */
  override toString(): string {
    checkAlive("toString", this);
    const suffixes: string[] = [];
    if (this.dtype === "float64") suffixes.push("dtype=float64");
    if (this.gradFn !== null) suffixes.push(`grad_fn=<${this.gradFn.name}>`);
    else if (this.requiresGrad) suffixes.push("requires_grad=True");
    return formatTensor(this.toTypedArray(), this.shape, this.dtype, suffixes);
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** @internal true when ops should record a node for these inputs. */
export function shouldRecord(...inputs: readonly Tensor[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t.requiresGrad) return true;
  return false;
}
