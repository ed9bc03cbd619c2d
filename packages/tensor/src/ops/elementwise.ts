import { twice, type BackwardFn } from "../autograd/node";
import { record } from "../autograd/record";
import { DEFAULT_DTYPE, checkInt32, isFloating, promoteWithScalar, resultType, type DType } from "../dtype";
import { ArgumentError, DTypeError, fmtShape } from "../errors";
import * as k from "../kernels/elementwise";
import { fast } from "../kernels/accelerate";
import { isGradEnabled } from "../autograd/grad-mode";
import { broadcastShapes, sameShape } from "../shape";
import { Tensor, checkAlive } from "../tensor";
import { cast, expand } from "./movement";

/**
 * Elementwise primitives. Binary ops broadcast once, up front: both operands are
 * expanded (stride-0 views) to the common shape, so no backward below un-broadcasts;
 * expand's own backward sums the gradient back to each input's shape.
 *
 * Each backward is a module-level function right after its forward (it reads what it needs
 * from `saved`): a closure written inside the op would be a new object per call, and in a
 * 10,000-node scalar graph those allocations cost ~10% of the time.
 */

/**
 * A 0-d tensor holding a number, used for `t.add(2.5)`. Never requires grad. A number that
 * an int32 cannot hold throws, naming `op` (torch's checked conversion of a scalar).
 */
export function scalar(value: number, dtype: DType, op = "scalar"): Tensor {
  if (dtype === "int32") checkInt32(op, value);
  const t = Tensor.empty([], dtype);
  t._data[0] = value;
  return t;
}

/** Run a row kernel into a new contiguous tensor. */
export function mapNew(row: k.UnaryRow, x: Tensor, dtype: DType = x.dtype): Tensor {
  const out = Tensor._uninitialized(x.shape, dtype);
  k.mapUnary(row, out, x);
  return out;
}

/**
 * Bring two operands to one dtype and find the broadcast shape. An operand that will
 * need a gradient is expanded (a recorded view, whose backward sums the gradient back
 * to its shape); a constant is left as it is and the kernel broadcasts it (stride 0).
 */
export function broadcastPair(op: string, a: Tensor | number, b: Tensor | number, floatOnly = false): [Tensor, Tensor, readonly number[]] {
  if (typeof a === "number" && typeof b === "number") {
    // two numbers (where(cond, 1, 0)): integers give an integer tensor (torch: int64), else the default float
    const dtype = Number.isInteger(a) && Number.isInteger(b) ? "int32" : DEFAULT_DTYPE;
    return [scalar(a, dtype, op), scalar(b, dtype, op), []];
  }
  let x = typeof a === "number" ? scalar(a, promoteWithScalar((b as Tensor).dtype, a), op) : a;
  let y = typeof b === "number" ? scalar(b, promoteWithScalar(x.dtype, b), op) : b;
  if (!(x instanceof Tensor) || !(y instanceof Tensor)) {
    throw new ArgumentError(`${op}: expected a Tensor or a number, got ${describe(x instanceof Tensor ? y : x)}`);
  }
  checkAlive(op, x);
  checkAlive(op, y);
  // torch's result_type: a 0-d operand (a number included) widens a dimensioned one only across categories.
  let dtype = x.dtype === y.dtype ? x.dtype : resultType(x.dtype, x.ndim, y.dtype, y.ndim);
  if (floatOnly && !isFloating(dtype)) dtype = "float32";
  x = cast(x, dtype);
  y = cast(y, dtype);
  if (sameShape(x.shape, y.shape)) return [x, y, x.shape];
  const shape = broadcastShapes(op, x.shape, y.shape);
  const grads = isGradEnabled();
  if (grads && x.requiresGrad) x = expand(x, shape);
  if (grads && y.requiresGrad) y = expand(y, shape);
  return [x, y, shape];
}

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
}

function binary(row: k.BinaryRow, a: Tensor, b: Tensor, shape: readonly number[]): Tensor {
  const out = Tensor._uninitialized(shape, a.dtype);
  k.mapBinary(row, out, a, b);
  return out;
}

/** An activation's backward in one kernel pass: f(g, y), both of the output's shape. */
function fused(row: k.BinaryRow, g: Tensor, y: Tensor): Tensor {
  const out = Tensor._uninitialized(y.shape, g.dtype);
  k.mapBinary(row, out, g, y);
  return out;
}

/** Integer and bool inputs of float functions (exp, log, ...) compute in float32, as torch. */
function floating(x: Tensor): Tensor {
  return isFloating(x.dtype) ? x : cast(x, "float32");
}

// ------------------------------------------------------------------ binary

/** a + b; d/da = 1, d/db = 1 */
export function add(a: Tensor | number, b: Tensor | number): Tensor {
  const [x, y, shape] = broadcastPair("add", a, b);
  if (x.dtype === "bool") return binary(k.maximum, x, y, shape); // two bools: their logical or, as torch
  return record(binary(fast.add, x, y, shape), "AddBackward", [x, y], addBackward);
}
const addBackward: BackwardFn = twice((g) => [g, g]);

/** a - b; d/da = 1, d/db = -1 */
export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  if ((a instanceof Tensor && a.dtype === "bool") || (b instanceof Tensor && b.dtype === "bool")) boolSubError("sub", a, b);
  const [x, y, shape] = broadcastPair("sub", a, b);
  return record(binary(fast.sub, x, y, shape), "SubBackward", [x, y], subBackward);
}
const subBackward: BackwardFn = twice((g, _, needs) => [g, needs[1] ? g.neg() : null]);

/** torch refuses `-` on bool tensors (its two messages: two bools, or one). */
export function boolSubError(op: string, a: Tensor | number, b: Tensor | number): never {
  const both = a instanceof Tensor && b instanceof Tensor && a.dtype === "bool" && b.dtype === "bool";
  const shapes = [a, b].map((v) => (v instanceof Tensor ? `${v.dtype} ${fmtShape(v.shape)}` : String(v))).join(" and ");
  throw new DTypeError(
    both
      ? `${op}: Subtraction, the \`-\` operator, with two bool tensors is not supported. ` +
          `Use the \`^\` or \`logical_xor()\` operator instead. (got ${shapes})`
      : `${op}: Subtraction, the \`-\` operator, with a bool tensor is not supported. ` +
          `If you are trying to invert a mask, use the \`~\` or \`logical_not()\` operator instead. (got ${shapes})`,
  );
}

/** a * b; d/da = b, d/db = a */
export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  const [x, y, shape] = broadcastPair("mul", a, b);
  return record(binary(fast.mul, x, y, shape), "MulBackward", [x, y], mulBackward, [x, y]);
}
const mulBackward: BackwardFn = twice((g, [x, y], needs) => [
  needs[0] ? g.mul(y) : null,
  needs[1] ? g.mul(x) : null,
]);

/** a / b (true division: integers give float32); d/da = 1/b, d/db = -a/b^2 */
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  const [x, y, shape] = broadcastPair("div", a, b, true);
  return record(binary(fast.div, x, y, shape), "DivBackward", [x, y], divBackward, [x, y]);
}
const divBackward: BackwardFn = twice((g, [x, y], needs) => [
  needs[0] ? g.div(y) : null,
  needs[1] ? g.mul(x).div(y.mul(y)).neg() : null,
]);

/**
 * a ** b; d/da = b * a^(b-1), d/db = a^b * ln(a).
 * As torch: the first is 0 where b == 0, the second 0 where a == 0 and b >= 0 (no NaN from 0 * -inf).
 */
export function pow(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === "number" && b < 0 && a instanceof Tensor && !isFloating(a.dtype) && Number.isInteger(b)) {
    throw new ArgumentError(
      `pow: Integers to negative integer powers are not allowed. (${a.dtype} tensor of shape ${fmtShape(a.shape)}, exponent ${b})`,
    );
  }
  const [x, y, shape] = broadcastPair("pow", a, b);
  const out = binary(k.pow, x, y, shape);
  return record(out, "PowBackward", [x, y], powBackward, [x, y, out]);
}
const powBackward: BackwardFn = twice((g, [x, y, out], needs) => [
  needs[0] ? where(y.eq(0), 0, g.mul(y.mul(x.pow(y.sub(1))))) : null,
  needs[1] ? where(x.eq(0).mul(y.ge(0)), 0, g.mul(out.mul(x.log()))) : null,
]);

/**
 * Elementwise max; the gradient goes to the larger input, split in half on ties (as torch).
 * torch's masks are `a == b` (half) and `a < b` (none): where either input is NaN, both get
 * the whole gradient.
 */
export function maximum(a: Tensor | number, b: Tensor | number): Tensor {
  const [x, y, shape] = broadcastPair("maximum", a, b);
  return record(binary(k.maximum, x, y, shape), "MaximumBackward", [x, y], maximumBackward, [x, y]);
}
const maximumBackward: BackwardFn = twice((g, [x, y], needs) => [
  needs[0] ? g.mul(tieWeights(x, y)) : null,
  needs[1] ? g.mul(tieWeights(y, x)) : null,
]);

/** Elementwise min; the gradient goes to the smaller input, split in half on ties. */
export function minimum(a: Tensor | number, b: Tensor | number): Tensor {
  const [x, y, shape] = broadcastPair("minimum", a, b);
  return record(binary(k.minimum, x, y, shape), "MinimumBackward", [x, y], minimumBackward, [x, y]);
}
const minimumBackward: BackwardFn = twice((g, [x, y], needs) => [
  needs[0] ? g.mul(tieWeights(y, x)) : null,
  needs[1] ? g.mul(tieWeights(x, y)) : null,
]);

/** 0 where a < b, 0.5 where a == b, else 1 (so 1 where either is NaN): torch's masks. */
function tieWeights(a: Tensor, b: Tensor): Tensor {
  return cast(a.lt(b), a.dtype).add(cast(a.eq(b), a.dtype).mul(0.5)).neg().add(1);
}

/** cond ? a : b elementwise, all three broadcast together. Gradients go to the chosen side. */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  if (!(cond instanceof Tensor)) throw new ArgumentError(`where: condition must be a Tensor, got ${describe(cond)}`);
  checkAlive("where", cond);
  const [x0, y0, xy] = broadcastPair("where", a, b);
  // select3 walks equal shapes: expand all three (views) to the common shape.
  const shape = broadcastShapes("where", cond.shape, xy);
  const c = expand(cond, shape);
  const x = expand(x0, shape);
  const y = expand(y0, shape);
  const out = Tensor.empty(x.shape, x.dtype);
  k.select3(out, c, x, y);
  return record(out, "WhereBackward", [x, y], whereBackward, [c]);
}
const whereBackward: BackwardFn = twice((g, [c], needs) => [
  needs[0] ? where(c, g, 0) : null,
  needs[1] ? where(c, 0, g) : null,
]);

// ------------------------------------------------------------------ unary

/** -x; d/dx = -1 */
export function neg(x: Tensor): Tensor {
  checkAlive("neg", x);
  if (x.dtype === "bool") {
    throw new DTypeError(
      "neg: Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, " +
        `use the \`~\` or \`logical_not()\` operator instead. (got bool ${fmtShape(x.shape)})`,
    );
  }
  return record(mapNew(k.neg, x), "NegBackward", [x], negBackward);
}
const negBackward: BackwardFn = twice((g) => [g.neg()]);

/** e^x; d/dx = e^x, the output itself */
export function exp(x: Tensor): Tensor {
  checkAlive("exp", x);
  const y = mapNew(fast.exp, floating(x));
  return record(y, "ExpBackward", [x], expBackward, [y]);
}
const expBackward: BackwardFn = twice((g, [y]) => [g.mul(y)]);

/** ln x; d/dx = 1/x */
export function log(x: Tensor): Tensor {
  checkAlive("log", x);
  const xf = floating(x);
  return record(mapNew(k.log, xf), "LogBackward", [xf], logBackward, [xf]);
}
const logBackward: BackwardFn = twice((g, [x]) => [g.div(x)]);

/** sqrt x; d/dx = 1 / (2 sqrt x) */
export function sqrt(x: Tensor): Tensor {
  checkAlive("sqrt", x);
  const y = mapNew(k.sqrt, floating(x));
  return record(y, "SqrtBackward", [x], sqrtBackward, [y]);
}
const sqrtBackward: BackwardFn = twice((g, [y]) => [g.div(y.mul(2))]);

/** |x|; d/dx = sign(x) (0 at 0, as torch) */
export function abs(x: Tensor): Tensor {
  checkAlive("abs", x);
  return record(mapNew(k.abs, x), "AbsBackward", [x], absBackward, [x]);
}
const absBackward: BackwardFn = twice((g, [x]) => [g.mul(mapNew(k.sign, x))]);

/** tanh x; d/dx = 1 - tanh^2 x (fused kernel) */
export function tanh(x: Tensor): Tensor {
  checkAlive("tanh", x);
  const y = mapNew(fast.tanh, floating(x));
  return record(y, "TanhBackward", [x], tanhBackward, [y]);
}
// Under createGraph (grad mode on) the same derivative in recorded ops, so it can be differentiated again.
const tanhBackward: BackwardFn = twice((g, [y]) => [isGradEnabled() ? g.mul(y.mul(y).neg().add(1)) : fused(k.tanhGrad, g, y)]);

/** sigmoid x = 1 / (1 + e^-x); d/dx = s (1 - s) (fused kernel) */
export function sigmoid(x: Tensor): Tensor {
  checkAlive("sigmoid", x);
  const y = mapNew(fast.sigmoid, floating(x));
  return record(y, "SigmoidBackward", [x], sigmoidBackward, [y]);
}
const sigmoidBackward: BackwardFn = twice((g, [y]) => [isGradEnabled() ? g.mul(y.mul(y.neg().add(1))) : fused(k.sigmoidGrad, g, y)]);

/** max(x, 0); d/dx = 1 where the output is positive, else 0 (0 at x = 0, as torch) */
export function relu(x: Tensor): Tensor {
  checkAlive("relu", x);
  if (x.dtype === "bool") throw new DTypeError(`relu: Boolean inputs not supported for relu (got bool ${fmtShape(x.shape)})`);
  const y = mapNew(fast.relu, x);
  return record(y, "ReluBackward", [x], reluBackward, [y]);
}
const reluBackward: BackwardFn = twice((g, [y]) => [isGradEnabled() ? g.mul(cast(y.gt(0), g.dtype)) : fused(fast.reluGrad, g, y)]);

/** gelu x = x Phi(x) (exact erf form); d/dx = Phi(x) + x phi(x) */
export function gelu(x: Tensor): Tensor {
  checkAlive("gelu", x);
  const xf = floating(x);
  return record(mapNew(k.gelu, xf), "GeluBackward", [xf], geluBackward, [xf]);
}
const geluBackward: BackwardFn = twice((g, [x]) => [g.mul(isGradEnabled() ? geluGradRecorded(x) : mapNew(k.geluGrad, x))]);
/** gelu's derivative Phi(x) + x phi(x) in recorded ops (for createGraph). */
function geluGradRecorded(x: Tensor): Tensor {
  return normalCdf(x).add(x.mul(normalPdf(x)));
}
/** Phi(x); d/dx = phi(x) */
function normalCdf(x: Tensor): Tensor {
  return record(mapNew(k.normalCdf, x), "NormalCdfBackward", [x], twice((g, [x]) => [g.mul(normalPdf(x))]), [x]);
}
/** phi(x) = e^(-x^2/2) / sqrt(2 pi), in recorded ops */
const normalPdf = (x: Tensor): Tensor => x.mul(x).mul(-0.5).exp().mul(1 / Math.sqrt(2 * Math.PI));

/** Clamp into [min, max] (either may be omitted); d/dx = 1 inside the bounds (inclusive), else 0. */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  checkAlive("clamp", x);
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new ArgumentError("clamp: at least one of 'min' or 'max' must not be None");
  }
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (typeof lo !== "number" || typeof hi !== "number") {
    throw new ArgumentError(`clamp: min and max must be numbers, null or undefined, got ${typeof lo} and ${typeof hi}`);
  }
  // Bounds take part in type promotion (torch 1.12+): int32.clamp(0.5) is float32, bool.clamp(0, 1) int32.
  let dtype = x.dtype;
  if (!isFloating(dtype)) {
    if (min !== undefined && min !== null) dtype = promoteWithScalar(dtype, min);
    if (max !== undefined && max !== null && !isFloating(dtype)) dtype = promoteWithScalar(dtype, max);
    if (dtype === "int32") {
      if (min !== undefined && min !== null) checkInt32("clamp", min);
      if (max !== undefined && max !== null) checkInt32("clamp", max);
    }
  }
  const xc = cast(x, dtype);
  // torch computes min(max(x, lo), hi): with lo > hi every element is hi (NaN stays NaN).
  const y = mapNew(lo > hi ? k.clampRow(hi, hi) : k.clampRow(lo, hi), xc);
  // the mask is constant in x: the backward is linear in g, differentiable again as it is
  return record(y, "ClampBackward", [xc], twice((g, [x]) => [g.mul(mapNew(k.clampMaskRow(lo, hi), x, g.dtype))]), [xc]);
}
