import type { TypedArray } from "../dtype";
import { erf } from "../math/erf";
import { expForFloat32, tanhForFloat32 } from "../math/fast-float32";
import { broadcastStrides, countOf, flatStep, forEachRow, repeatBlock, type View } from "./iterate";

/**
 * Elementwise kernels. Each op is a row loop: `out[io + i*so] = f(a[ia + i*sa], ...)`
 * for i < n. The strided odometer (forEachRow) calls it once per row, so a contiguous
 * tensor is a single call with unit strides and a broadcast scalar has stride 0.
 *
 * These loops define the semantics. Some also have a WebAssembly SIMD form, taken for long
 * float32 runs: accelerate.ts says which, and from which sizes.
 */
export type UnaryRow = (
  out: TypedArray, io: number, so: number,
  a: TypedArray, ia: number, sa: number, n: number,
) => void;

export type BinaryRow = (
  out: TypedArray, io: number, so: number,
  a: TypedArray, ia: number, sa: number,
  b: TypedArray, ib: number, sb: number, n: number,
) => void;

/**
 * Apply a unary row kernel: `out = f(a)`, `a` broadcastable to out's shape. Contiguous
 * (or single-value) operands run as one flat row, without the odometer.
 */
export function mapUnary(row: UnaryRow, out: View, a: View): void {
  const o = out._data;
  const x = a._data;
  const n = countOf(out.shape);
  if (n === 0) return;
  const sa = flatStep(a, n);
  if (flatStep(out, n) >= 0 && sa >= 0) {
    row(o, out.offset, 1, x, a.offset, sa, n);
    return;
  }
  forEachRow(out.shape, [out.strides, broadcastStrides(a, out.shape)], [out.offset, a.offset], (off, len, s) => {
    row(o, off[0], s[0], x, off[1], s[1], len);
  });
}

/** Apply a binary row kernel: `out = f(a, b)`, `a` and `b` broadcastable to out's shape. */
export function mapBinary(row: BinaryRow, out: View, a: View, b: View): void {
  const o = out._data;
  const x = a._data;
  const y = b._data;
  const n = countOf(out.shape);
  if (n === 0) return;
  const so = flatStep(out, n);
  const sa = flatStep(a, n);
  const sb = flatStep(b, n);
  if (so >= 0 && sa >= 0 && sb >= 0) {
    row(o, out.offset, 1, x, a.offset, sa, y, b.offset, sb, n);
    return;
  }
  // out and one operand flat, the other a block repeating along the leading dims (bias).
  if (so === 1 && (sa === 1 || sb === 1)) {
    const block = repeatBlock(sa === 1 ? b : a, out.shape);
    if (block > 0) {
      for (let start = 0; start < n; start += block) {
        const ia = sa === 1 ? a.offset + start : a.offset;
        const ib = sb === 1 ? b.offset + start : b.offset;
        row(o, out.offset + start, 1, x, ia, 1, y, ib, 1, block);
      }
      return;
    }
  }
  const strides = [out.strides, broadcastStrides(a, out.shape), broadcastStrides(b, out.shape)];
  forEachRow(out.shape, strides, [out.offset, a.offset, b.offset], (off, len, s) => {
    row(o, off[0], s[0], x, off[1], s[1], y, off[2], s[2], len);
  });
}

// One explicit loop per op: a shared loop calling f(x) per element would be a
// megamorphic call that V8 cannot inline.
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export const copy: UnaryRow = (out, io, so, a, ia, sa, n) => {
  if (so === 1 && sa === 1 && out.constructor === a.constructor) {
    out.set(a.subarray(ia, ia + n), io);
    return;
  }
  for (let i = 0; i < n; i++, io += so, ia += sa) out[io] = a[ia];
};

export const neg: UnaryRow = (out, io, so, a, ia, sa, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa) { const x = a[ia]; out[io] = -x; }
};
// float32 outputs use float32-accurate versions, within 1 ulp and several times faster than
// Math.exp / Math.tanh (math/fast-float32.ts, in double).
export const exp: UnaryRow = (out, io, so, a, ia, sa, n) => {
  if (out instanceof Float32Array && so === 1 && sa === 1) {
    // Unit stride kept separate: with the inlined exp, stepping three indices spills registers.
    for (let i = 0; i < n; i++) out[io + i] = expForFloat32(a[ia + i]);
  } else if (out instanceof Float32Array) {
    for (let i = 0; i < n; i++, io += so, ia += sa) out[io] = expForFloat32(a[ia]);
  } else {
    for (let i = 0; i < n; i++, io += so, ia += sa) out[io] = Math.exp(a[ia]);
  }
};
export const log: UnaryRow = (out, io, so, a, ia, sa, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa) { const x = a[ia]; out[io] = Math.log(x); }
};
export const sqrt: UnaryRow = (out, io, so, a, ia, sa, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa) { const x = a[ia]; out[io] = Math.sqrt(x); }
};
export const abs: UnaryRow = (out, io, so, a, ia, sa, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa) { const x = a[ia]; out[io] = Math.abs(x); }
};
export const sign: UnaryRow = (out, io, so, a, ia, sa, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa) { const x = a[ia]; out[io] = Math.sign(x); }
};
export const tanh: UnaryRow = (out, io, so, a, ia, sa, n) => {
  if (out instanceof Float32Array && so === 1 && sa === 1) {
    for (let i = 0; i < n; i++) out[io + i] = tanhForFloat32(a[ia + i]);
  } else if (out instanceof Float32Array) {
    for (let i = 0; i < n; i++, io += so, ia += sa) out[io] = tanhForFloat32(a[ia]);
  } else {
    for (let i = 0; i < n; i++, io += so, ia += sa) out[io] = Math.tanh(a[ia]);
  }
};
// 1/(1+e^-x) saturates to 0 or 1 for large |x|, never NaN.
export const sigmoid: UnaryRow = (out, io, so, a, ia, sa, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa) { const x = a[ia]; out[io] = 1 / (1 + Math.exp(-x)); }
};
// NaN stays NaN, as torch's relu.
export const relu: UnaryRow = (out, io, so, a, ia, sa, n) => {
  if (n >= 64 && so === 1 && sa === 1 && out instanceof Float32Array && a instanceof Float32Array) {
    reluFloat32Bits(out, io, a, ia, n);
    return;
  }
  for (let i = 0; i < n; i++, io += so, ia += sa) { const x = a[ia]; out[io] = x > 0 ? x : x === x ? 0 : x; }
};

/**
 * relu on float32 bit patterns, without a branch on the sign (random-signed data makes
 * `x > 0 ? x : 0` mispredict half the time, 6x slower): clear values whose sign bit is
 * set, except NaNs (exponent all ones, mantissa nonzero), which pass through as in torch.
 */
function reluFloat32Bits(out: Float32Array, io: number, a: Float32Array, ia: number, n: number): void {
  const src = new Int32Array(a.buffer, a.byteOffset, a.length);
  const dst = new Int32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < n; i++) {
    const v = src[ia + i];
    dst[io + i] = (v & 0x7fffffff) > 0x7f800000 ? v : v & ~(v >> 31);
  }
}
// The exact form x * Phi(x), Phi the standard normal cdf.
export const gelu: UnaryRow = (out, io, so, a, ia, sa, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa) { const x = a[ia]; out[io] = 0.5 * x * (1 + erf(x * Math.SQRT1_2)); }
};
// d gelu/dx = Phi(x) + x * phi(x).
/** Phi(x), the standard normal's distribution function (gelu's factor) */
export const normalCdf: UnaryRow = (out, io, so, a, ia, sa, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa) out[io] = 0.5 * (1 + erf(a[ia] * Math.SQRT1_2));
};
export const geluGrad: UnaryRow = (out, io, so, a, ia, sa, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa) { const x = a[ia]; out[io] = 0.5 * (1 + erf(x * Math.SQRT1_2)) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI; }
};

// The four arithmetic ops keep a unit-stride loop apart: V8 compiles it tighter (~15%).
export const add: BinaryRow = (out, io, so, a, ia, sa, b, ib, sb, n) => {
  if (so === 1 && sa === 1 && sb === 1) {
    for (let i = 0; i < n; i++) out[io + i] = a[ia + i] + b[ib + i];
    return;
  }
  for (let i = 0; i < n; i++, io += so, ia += sa, ib += sb) { const x = a[ia], y = b[ib]; out[io] = x + y; }
};
export const sub: BinaryRow = (out, io, so, a, ia, sa, b, ib, sb, n) => {
  if (so === 1 && sa === 1 && sb === 1) {
    for (let i = 0; i < n; i++) out[io + i] = a[ia + i] - b[ib + i];
    return;
  }
  for (let i = 0; i < n; i++, io += so, ia += sa, ib += sb) { const x = a[ia], y = b[ib]; out[io] = x - y; }
};
export const mul: BinaryRow = (out, io, so, a, ia, sa, b, ib, sb, n) => {
  if (out instanceof Int32Array) {
    // int32 products wrap modulo 2^32 as torch's do; a double product would round first beyond 2^53
    for (let i = 0; i < n; i++, io += so, ia += sa, ib += sb) out[io] = Math.imul(a[ia], b[ib]);
    return;
  }
  if (so === 1 && sa === 1 && sb === 1) {
    for (let i = 0; i < n; i++) out[io + i] = a[ia + i] * b[ib + i];
    return;
  }
  for (let i = 0; i < n; i++, io += so, ia += sa, ib += sb) { const x = a[ia], y = b[ib]; out[io] = x * y; }
};
export const div: BinaryRow = (out, io, so, a, ia, sa, b, ib, sb, n) => {
  if (so === 1 && sa === 1 && sb === 1) {
    for (let i = 0; i < n; i++) out[io + i] = a[ia + i] / b[ib + i];
    return;
  }
  for (let i = 0; i < n; i++, io += so, ia += sa, ib += sb) { const x = a[ia], y = b[ib]; out[io] = x / y; }
};

export const pow: BinaryRow = (out, io, so, a, ia, sa, b, ib, sb, n) => {
  if (out instanceof Int32Array) {
    for (let i = 0; i < n; i++, io += so, ia += sa, ib += sb) out[io] = int32Pow(a[ia], b[ib]);
    return;
  }
  for (let i = 0; i < n; i++, io += so, ia += sa, ib += sb) { const x = a[ia], y = b[ib]; out[io] = Math.pow(x, y); }
};
// Math.max/min propagate NaN like torch.maximum/minimum.
export const maximum: BinaryRow = (out, io, so, a, ia, sa, b, ib, sb, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa, ib += sb) { const x = a[ia], y = b[ib]; out[io] = Math.max(x, y); }
};
export const minimum: BinaryRow = (out, io, so, a, ia, sa, b, ib, sb, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa, ib += sb) { const x = a[ia], y = b[ib]; out[io] = Math.min(x, y); }
};
// Comparisons write 0/1 into a bool (Uint8Array) output.
export const gt: BinaryRow = (out, io, so, a, ia, sa, b, ib, sb, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa, ib += sb) { const x = a[ia], y = b[ib]; out[io] = x > y ? 1 : 0; }
};
export const lt: BinaryRow = (out, io, so, a, ia, sa, b, ib, sb, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa, ib += sb) { const x = a[ia], y = b[ib]; out[io] = x < y ? 1 : 0; }
};
export const ge: BinaryRow = (out, io, so, a, ia, sa, b, ib, sb, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa, ib += sb) { const x = a[ia], y = b[ib]; out[io] = x >= y ? 1 : 0; }
};
export const le: BinaryRow = (out, io, so, a, ia, sa, b, ib, sb, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa, ib += sb) { const x = a[ia], y = b[ib]; out[io] = x <= y ? 1 : 0; }
};
export const eq: BinaryRow = (out, io, so, a, ia, sa, b, ib, sb, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa, ib += sb) { const x = a[ia], y = b[ib]; out[io] = x === y ? 1 : 0; }
};
export const ne: BinaryRow = (out, io, so, a, ia, sa, b, ib, sb, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa, ib += sb) { const x = a[ia], y = b[ib]; out[io] = x !== y ? 1 : 0; }
};

// Fused activation backwards: out = f(g, y), g the incoming gradient and y the saved
// output. float32 rounds after every operation in the order of torch's CPU kernels
// (threshold_backward, tanh_backward: g*(1 - y*y), sigmoid_backward: (g*(1 - y))*y),
// so gradients match torch's bit for bit where the composite ops did.
export const reluGrad: BinaryRow = (out, io, so, g, ig, sg, y, iy, sy, n) => {
  if (n >= 64 && so === 1 && sg === 1 && sy === 1 && out instanceof Float32Array && g instanceof Float32Array && y instanceof Float32Array) {
    reluGradFloat32Bits(out, io, g, ig, y, iy, n);
    return;
  }
  for (let i = 0; i < n; i++, io += so, ig += sg, iy += sy) out[io] = y[iy] <= 0 ? 0 : g[ig];
};

/**
 * The same on bit patterns, branch-free: keep g where y > 0, i.e. where -ybits is negative
 * (y is relu's output, so never -0); a NaN y keeps g, as torch's `y <= 0 ? 0 : g`.
 */
function reluGradFloat32Bits(out: Float32Array, io: number, g: Float32Array, ig: number, y: Float32Array, iy: number, n: number): void {
  const gb = new Int32Array(g.buffer, g.byteOffset, g.length);
  const yb = new Int32Array(y.buffer, y.byteOffset, y.length);
  const ob = new Int32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < n; i++) {
    const v = yb[iy + i];
    ob[io + i] = (v & 0x7fffffff) > 0x7f800000 ? gb[ig + i] : gb[ig + i] & (-v >> 31);
  }
}
export const tanhGrad: BinaryRow = (out, io, so, g, ig, sg, y, iy, sy, n) => {
  const r = out instanceof Float32Array ? Math.fround : identity;
  for (let i = 0; i < n; i++, io += so, ig += sg, iy += sy) { const t = y[iy]; out[io] = g[ig] * r(1 - r(t * t)); }
};
export const sigmoidGrad: BinaryRow = (out, io, so, g, ig, sg, y, iy, sy, n) => {
  const r = out instanceof Float32Array ? Math.fround : identity;
  for (let i = 0; i < n; i++, io += so, ig += sg, iy += sy) { const s = y[iy]; out[io] = r(g[ig] * r(1 - s)) * s; }
};
function identity(v: number): number {
  return v;
}

/** clamp to [min, max]; a NaN input stays NaN. Built once per call, not per element. */
export function clampRow(min: number, max: number): UnaryRow {
  return (out, io, so, a, ia, sa, n) => {
    for (let i = 0; i < n; i++, io += so, ia += sa) { const x = a[ia]; out[io] = x < min ? min : x > max ? max : x; }
  };
}

/** Gradient mask of clamp: 1 inside [min, max] (bounds included, as torch), else 0. */
export function clampMaskRow(min: number, max: number): UnaryRow {
  return (out, io, so, a, ia, sa, n) => {
    for (let i = 0; i < n; i++, io += so, ia += sa) { const x = a[ia]; out[io] = x >= min && x <= max ? 1 : 0; }
  };
}

export function fillView(out: View, value: number): void {
  const o = out._data;
  forEachRow(out.shape, [out.strides], [out.offset], (off, n, s) => {
    const so = s[0];
    if (so === 1) {
      o.fill(value, off[0], off[0] + n);
      return;
    }
    for (let i = 0, io = off[0]; i < n; i++, io += so) o[io] = value;
  });
}

/** out[where] = cond ? a : b, all views of one shape. */
export function select3(out: View, cond: View, a: View, b: View): void {
  const o = out._data;
  const c = cond._data;
  const x = a._data;
  const y = b._data;
  forEachRow(
    out.shape,
    [out.strides, cond.strides, a.strides, b.strides],
    [out.offset, cond.offset, a.offset, b.offset],
    (off, n, s) => {
      let io = off[0], ic = off[1], ia = off[2], ib = off[3];
      for (let i = 0; i < n; i++, io += s[0], ic += s[1], ia += s[2], ib += s[3]) {
        o[io] = c[ic] ? x[ia] : y[ib];
      }
    },
  );
}

/**
 * x^y for int32 x and y, as torch's integer kernel (powi): by squaring, each product wrapping
 * modulo 2^32; a negative y (only from a tensor of exponents: ops/elementwise.ts refuses a
 * negative number) gives 1 for x = 1, +-1 for x = -1, else 0.
 */
function int32Pow(x: number, y: number): number {
  if (y < 0) return x === 1 ? 1 : x === -1 ? ((-y) % 2 === 1 ? -1 : 1) : 0;
  let result = 1;
  for (let base = x, e = y; e > 0; e >>>= 1) {
    if ((e & 1) !== 0) result = Math.imul(result, base);
    base = Math.imul(base, base);
  }
  return result;
}
