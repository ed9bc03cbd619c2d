import { isGradEnabled } from "../autograd/grad-mode";
import { twice, type BackwardFn } from "../autograd/node";
import { record } from "../autograd/record";
import { isFloating } from "../dtype";
import { ArgumentError, DTypeError, fmtShape } from "../errors";
import * as k from "../kernels/activations";
import { mapBinary, mapUnary, type BinaryRow, type UnaryRow } from "../kernels/elementwise";
import { Tensor, checkAlive } from "../tensor";
import * as ew from "./elementwise";
import { where } from "./elementwise";

/**
 * The parametrised activations of torch.nn.functional as primitives: one kernel pass
 * forward, one backward (g and the saved input), as torch's own kernels. nn's layers and
 * `functional` call these. Float inputs only, as torch (its integer kernels do not exist).
 */

function unary(op: string, x: Tensor, row: UnaryRow): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: expected a Tensor, got ${typeof x}`);
  checkAlive(op, x);
  if (!isFloating(x.dtype)) {
    throw new DTypeError(`${op}: "${op}" not implemented for '${x.dtype}' (got ${x.dtype} ${fmtShape(x.shape)})`);
  }
  const out = Tensor._uninitialized(x.shape, x.dtype);
  mapUnary(row, out, x);
  return out;
}

function checkNumber(op: string, name: string, v: unknown): number {
  if (typeof v !== "number") throw new ArgumentError(`${op}: ${name} must be a number, got ${typeof v}`);
  return v;
}

/**
 * dy/dx * g in one pass over (g, x); under createGraph (grad mode on) g times `derivative(x)`
 * in recorded ops instead, so the gradient can be differentiated again.
 */
function gradOf(row: BinaryRow, derivative: (x: Tensor) => Tensor): BackwardFn {
  return twice((g, [x]) => {
    if (isGradEnabled()) return [g.mul(derivative(x))];
    const out = Tensor._uninitialized(x.shape, g.dtype);
    mapBinary(row, out, g, x);
    return [out];
  });
}

/** 1 where `mask` holds, else `other`, in x's dtype (a slope: its own derivative is 0). */
const slope = (x: Tensor, mask: Tensor, other: number): Tensor => where(mask, ew.scalar(1, x.dtype), ew.scalar(other, x.dtype));

/** x > 0 ? x : negativeSlope * x (torch.nn.functional.leaky_relu); d/dx = 1 or negativeSlope */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  const s = checkNumber("leakyRelu", "negativeSlope", negativeSlope);
  const dydx = (v: Tensor) => slope(v, v.gt(0), s);
  return record(unary("leakyRelu", x, k.leakyReluRow(s)), "LeakyReluBackward", [x], gradOf(k.leakyReluGradRow(s), dydx), [x]);
}

/** x > 0 ? x : alpha (e^x - 1) (F.elu); d/dx = 1 or alpha e^x */
export function elu(x: Tensor, alpha = 1): Tensor {
  const a = checkNumber("elu", "alpha", alpha);
  const dydx = (v: Tensor) => where(v.gt(0), ew.scalar(1, v.dtype), elu(v, a).add(a)); // alpha e^x = elu(x) + alpha below 0
  return record(unary("elu", x, k.eluRow(a)), "EluBackward", [x], gradOf(k.eluGradRow(a), dydx), [x]);
}

/**
 * log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (F.softplus);
 * d/dx = sigmoid(beta x), or 1 above the threshold.
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  const b = checkNumber("softplus", "beta", beta);
  const t = checkNumber("softplus", "threshold", threshold);
  const dydx = (v: Tensor) => where(v.mul(b).gt(t), ew.scalar(1, v.dtype), ew.sigmoid(v.mul(b)));
  return record(unary("softplus", x, k.softplusRow(b, t)), "SoftplusBackward", [x], gradOf(k.softplusGradRow(b, t), dydx), [x]);
}

/** clamp(x, minVal, maxVal) (F.hardtanh); d/dx = 1 strictly between the bounds, else 0 */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  const lo = checkNumber("hardtanh", "minVal", minVal);
  const hi = checkNumber("hardtanh", "maxVal", maxVal);
  const dydx = (v: Tensor) => slope(v, where(v.gt(lo), v.lt(hi), ew.scalar(0, "bool")), 0);
  return record(unary("hardtanh", x, k.hardtanhRow(lo, hi)), "HardtanhBackward", [x], gradOf(k.hardtanhGradRow(lo, hi), dydx), [x]);
}

/** x sigmoid(x) (F.silu, "swish"); d/dx = s (1 + x (1 - s)) */
export function silu(x: Tensor): Tensor {
  return record(unary("silu", x, k.silu), "SiluBackward", [x], siluBackward, [x]);
}
const siluBackward = gradOf(k.siluGrad, (x) => {
  const s = ew.sigmoid(x);
  return s.mul(x.mul(s.neg().add(1)).add(1));
});

/** x tanh(softplus(x)) (F.mish); d/dx = t + x sigmoid(x) (1 - t^2), t = tanh(softplus(x)) */
export function mish(x: Tensor): Tensor {
  return record(unary("mish", x, k.mish), "MishBackward", [x], mishBackward, [x]);
}
const mishBackward = gradOf(k.mishGrad, (x) => {
  const t = ew.tanh(softplus(x));
  return t.add(x.mul(ew.sigmoid(x)).mul(t.mul(t).neg().add(1)));
});
