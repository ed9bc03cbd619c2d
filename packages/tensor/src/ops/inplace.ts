import { isGradEnabled } from "../autograd/grad-mode";
import { checkInt32, isFloating, promoteWithScalar, resultType, type DType } from "../dtype";
import { ArgumentError, AutogradError, DTypeError, ShapeError, TensorError, fmtShape } from "../errors";
import * as k from "../kernels/elementwise";
import { fast } from "../kernels/accelerate";
import { broadcastShapes, sameShape } from "../shape";
import { Tensor, checkAlive } from "../tensor";
import * as ew from "./elementwise";
import { rebaseHistory } from "./copy-slices";
import { cast, clone, copyInto, expand } from "./movement";

/**
 * In-place ops (trailing underscore, as torch). Each bumps the version counter shared
 * by the tensor and its views, so a backward that saved the old values can tell.
 *
 * Without autograd (noGrad, or nothing requires grad) they write straight into the
 * storage. When the graph is recorded, the new value is computed out of place from a
 * snapshot of the old one and written back, and the tensor takes the new node as its
 * gradFn: the result is the same graph torch builds.
 */

type Binary = "add" | "sub" | "mul" | "div";

/** Does this in-place op need to be recorded? Throws where torch refuses it. */
function recording(op: string, self: Tensor, ...others: readonly Tensor[]): boolean {
  if (!isGradEnabled()) return false;
  if (!self.requiresGrad && !others.some((t) => t.requiresGrad)) return false;
  if (self.isLeaf && self.requiresGrad) {
    throw new AutogradError(`${op}: a leaf Variable that requires grad is being used in an in-place operation.`);
  }
  const base = self._base;
  if (base !== null && base.isLeaf && base.requiresGrad) {
    throw new AutogradError(`${op}: a view of a leaf Variable that requires grad is being used in an in-place operation.`);
  }
  return true;
}

/**
 * torch's memory-overlap checks before an in-place write into self: self must not have two
 * elements in one storage slot (an expanded view), and an input over the same storage must
 * be either exactly self's layout or apart from it. Otherwise the result would depend on
 * the order the kernel visits elements in (the JS loop and the SIMD kernels differ), so
 * torch refuses, and so does minigrad, with torch's messages.
 */
function checkOverlap(op: string, self: Tensor, ...inputs: readonly Tensor[]): void {
  if (self.shape.some((size, d) => size > 1 && self.strides[d] === 0)) {
    throw new TensorError(
      `${op}: unsupported operation: more than one element of the written-to tensor refers to a single memory ` +
        "location. Please clone() the tensor before performing the operation.",
    );
  }
  for (const t of inputs) {
    if (t._data !== self._data || t.numel === 0 || self.numel === 0) continue;
    const same = t.offset === self.offset && sameShape(t.shape, self.shape) && sameShape(t.strides, self.strides);
    if (!same && rangesOverlap(self, t)) {
      throw new TensorError(
        `${op}: unsupported operation: some elements of the input tensor and the written-to tensor refer to a ` +
          "single memory location. Please clone() the tensor before performing the operation.",
      );
    }
  }
}

/** Do the storage ranges two views span intersect? */
function rangesOverlap(a: Tensor, b: Tensor): boolean {
  const span = (t: Tensor): [number, number] => {
    let lo = t.offset, hi = t.offset;
    t.shape.forEach((size, d) => {
      const reach = (size - 1) * t.strides[d];
      if (reach < 0) lo += reach;
      else hi += reach;
    });
    return [lo, hi];
  };
  const [alo, ahi] = span(a), [blo, bhi] = span(b);
  return alo <= bhi && blo <= ahi;
}

/**
 * Write `result` (computed out of place) into self and take over its graph node; on a view,
 * rebase the history of the tensor it views instead (copy-slices.ts).
 */
function commit(self: Tensor, result: Tensor): Tensor {
  copyInto(self, result);
  self._version.value++;
  if (self._base === null) self.gradFn = result.gradFn;
  else rebaseHistory(self, self._base, result);
  return self;
}

/** `other` broadcast to self's shape and cast to its dtype, or a clear error. */
function operand(op: string, self: Tensor, other: Tensor | number): Tensor {
  const t = typeof other === "number" ? ew.scalar(other, promoteWithScalar(self.dtype, other), op) : other;
  if (!(t instanceof Tensor)) throw new ShapeError(`${op}: expected a Tensor or a number`);
  checkAlive(op, t);
  const dtype = resultType(self.dtype, self.ndim, t.dtype, t.ndim);
  if (dtype !== self.dtype && !(isFloating(self.dtype) && isFloating(dtype))) {
    throw new DTypeError(`${op}: result type ${dtype} can't be cast to the desired output type ${self.dtype}`);
  }
  if (!sameShape(t.shape, self.shape)) {
    const shape = broadcastShapes(op, self.shape, t.shape);
    if (!sameShape(shape, self.shape)) {
      throw new ShapeError(
        `${op}: output with shape ${fmtShape(self.shape)} doesn't match the broadcast shape ${fmtShape(shape)}`,
      );
    }
    return expand(t, self.shape);
  }
  return t;
}

export function binary_<T extends Tensor>(self: T, op: Binary, other: Tensor | number, alpha?: number): T {
  checkAlive(`${op}_`, self);
  const name = `${op}_`;
  if (op === "div" && !isFloating(self.dtype)) {
    throw new DTypeError(`${name}: result type float32 can't be cast to the desired output type ${self.dtype}`);
  }
  if (op === "sub" && (self.dtype === "bool" || (other instanceof Tensor && other.dtype === "bool"))) {
    ew.boolSubError(name, self, other);
  }
  if (alpha !== undefined && !Number.isInteger(alpha) && !isFloating(self.dtype)) {
    throw new ArgumentError(
      `${name}: For integral input tensors, argument alpha must not be a floating point number. (got ${alpha} for ${self.dtype})`,
    );
  }
  let y = operand(name, self, other);
  if (alpha !== undefined && alpha !== 1) y = ew.mul(y, alpha);
  if (recording(name, self, y)) {
    commit(self, ew[op](clone(self), y));
    return self;
  }
  checkOverlap(name, self, y);
  if (op === "add" && self.dtype === "bool") {
    k.mapBinary(k.maximum, self, self, y); // logical or, as torch
    self._version.value++;
    return self;
  }
  k.mapBinary(fast[op], self, self, y);
  self._version.value++;
  return self;
}

export function unary_<T extends Tensor>(self: T, op: "sqrt"): T {
  checkAlive(`${op}_`, self);
  if (!isFloating(self.dtype)) throw new DTypeError(`${op}_: expected a floating point tensor, got ${self.dtype}`);
  if (recording(`${op}_`, self)) {
    commit(self, ew[op](clone(self)));
    return self;
  }
  checkOverlap(`${op}_`, self);
  k.mapUnary(k[op], self, self);
  self._version.value++;
  return self;
}

export function clamp_<T extends Tensor>(self: T, min?: number | null, max?: number | null): T {
  checkAlive("clamp_", self);
  if (recording("clamp_", self)) {
    commit(self, ew.clamp(clone(self), min, max));
    return self;
  }
  checkOverlap("clamp_", self);
  const result = ew.clamp(self.detach(), min, max);
  if (result.dtype !== self.dtype) {
    throw new DTypeError(`clamp_: result type ${result.dtype} can't be cast to the desired output type ${self.dtype}`);
  }
  copyInto(self, result);
  self._version.value++;
  return self;
}

/** self += value * a * b */
export function addcmul_<T extends Tensor>(self: T, a: Tensor, b: Tensor, value: number): T {
  return binary_(self, "add", ew.mul(ew.mul(a, b), value));
}

/** self += value * a / b */
export function addcdiv_<T extends Tensor>(self: T, a: Tensor, b: Tensor, value: number): T {
  return binary_(self, "add", ew.mul(ew.div(a, b), value));
}

export function fill_<T extends Tensor>(self: T, value: number): T {
  checkAlive("fill_", self);
  if (recording("fill_", self)) {
    // The new value does not depend on the old one: where(true, ...) gives it a zero gradient.
    commit(self, ew.where(ew.scalar(1, "bool"), value, clone(self)));
    return self;
  }
  checkOverlap("fill_", self);
  k.fillView(self, storedValue("fill_", self.dtype, value));
  self._version.value++;
  return self;
}

/** `value` as a tensor of `dtype` stores it: checked for int32, 0/1 for bool (NaN is true, as torch). */
function storedValue(op: string, dtype: DType, value: number): number {
  if (typeof value !== "number") throw new ArgumentError(`${op}: expected a number, got ${typeof value}`);
  if (dtype === "int32") checkInt32(op, value);
  return dtype === "bool" ? (value !== 0 ? 1 : 0) : value;
}

/** Copy src into self (broadcast to self's shape, cast to its dtype); gradients flow to src. */
export function copy_<T extends Tensor>(self: T, src: Tensor): T {
  checkAlive("copy_", self);
  if (!(src instanceof Tensor)) throw new ShapeError("copy_: expected a Tensor as the source");
  checkAlive("copy_", src);
  if (!sameShape(src.shape, self.shape)) {
    const shape = broadcastShapes("copy_", self.shape, src.shape);
    if (!sameShape(shape, self.shape)) {
      throw new ShapeError(`copy_: source of shape ${fmtShape(src.shape)} cannot be copied into ${fmtShape(self.shape)}`);
    }
  }
  const value = expand(src, self.shape);
  if (recording("copy_", self, value)) {
    commit(self, ew.where(ew.scalar(1, "bool"), cast(value, self.dtype), clone(self)));
    return self;
  }
  checkOverlap("copy_", self, value);
  copyInto(self, value);
  self._version.value++;
  return self;
}
