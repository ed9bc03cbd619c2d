import { fma32 } from "./fma";
import type { FloatArray } from "@minigrad/tensor";

// What LBFGS computes on flat vectors and scalars, as torch 1.13's lbfgs.py does: its
// vector ops and dot products, and the strong-Wolfe line search (lswolfe.lua's port).

/**
 * A scalar as torch's LBFGS holds it: a Python float (`t: false`, a double), or a 0-d
 * tensor of the parameters' dtype (`t: true`; for float32 its value is a float32). Mixing
 * the two is torch's arithmetic: an operation with a tensor operand rounds the Python
 * float to the dtype first and gives a tensor, and `float / tensor` is
 * `tensor.reciprocal() * float` (torch 1.13's `__rtruediv__`).
 */
export interface Num {
  /** The value (a double, or a value of the dtype when `t`). */
  readonly v: number;
  /** A 0-d tensor of the parameters' dtype (true) or a Python float (false). */
  readonly t: boolean;
}

/** torch's scalar arithmetic for one dtype (`r` rounds a double to it). */
export class Scalars {
  constructor(readonly r: (x: number) => number) {}

  /** A Python float: `v` as it is. */
  py(v: number): Num {
    return { v, t: false };
  }

  /** A 0-d tensor of the dtype: `v` rounded to it. */
  ten(v: number): Num {
    return { v: this.r(v), t: true };
  }

  /** The operands as the operation sees them: both doubles, or both in the dtype. */
  private pair(a: Num, b: Num): [number, number, boolean] {
    if (!a.t && !b.t) return [a.v, b.v, false];
    return [a.t ? a.v : this.r(a.v), b.t ? b.v : this.r(b.v), true];
  }

  private op(a: Num, b: Num, f: (x: number, y: number) => number): Num {
    const [x, y, tensor] = this.pair(a, b);
    return tensor ? this.ten(f(x, y)) : this.py(f(x, y));
  }

  /** `a + b`: a tensor, in the dtype, if either operand is one; else a double. */
  add(a: Num, b: Num): Num {
    return this.op(a, b, (x, y) => x + y);
  }

  /** `a - b`, mixed as `add`. */
  sub(a: Num, b: Num): Num {
    return this.op(a, b, (x, y) => x - y);
  }

  /** `a * b`, mixed as `add`. */
  mul(a: Num, b: Num): Num {
    return this.op(a, b, (x, y) => x * y);
  }

  /** `a / b`, mixed as `add`; a float over a tensor is `b.reciprocal() * a`. */
  div(a: Num, b: Num): Num {
    if (!a.t && b.t) return this.ten(this.r(1 / b.v) * this.r(a.v)); // b.reciprocal() * a
    return this.op(a, b, (x, y) => x / y);
  }

  /** `-a`, of the same kind. */
  neg(a: Num): Num {
    return { v: -a.v, t: a.t };
  }

  /** `abs(a)`, of the same kind. */
  abs(a: Num): Num {
    return { v: Math.abs(a.v), t: a.t };
  }

  /** `a.sqrt()`: a tensor of the dtype. */
  sqrt(a: Num): Num {
    return this.ten(Math.sqrt(a.v));
  }

  /** `a < b`, both rounded to the dtype if either is a tensor. */
  lt(a: Num, b: Num): boolean {
    const [x, y] = this.pair(a, b);
    return x < y;
  }

  /** `a <= b`, compared as `lt`. */
  le(a: Num, b: Num): boolean {
    const [x, y] = this.pair(a, b);
    return x <= y;
  }

  /** `a > b`, compared as `lt`. */
  gt(a: Num, b: Num): boolean {
    return this.lt(b, a);
  }

  /** `a >= b`, compared as `lt`. */
  ge(a: Num, b: Num): boolean {
    return this.le(b, a);
  }

  /** Python's `max(a, b)`: b only if b > a. */
  max(a: Num, b: Num): Num {
    return this.gt(b, a) ? b : a;
  }

  /** Python's `min(a, b)`: b only if b < a. */
  min(a: Num, b: Num): Num {
    return this.lt(b, a) ? b : a;
  }
}

/** Vector operations of one dtype, as torch's CPU kernels compute them (f32: emulated FMAs). */
export interface VectorOps {
  /** True for float32 parameters, false for float64. */
  readonly f32: boolean;
  /** The scalar arithmetic of the same dtype. */
  readonly s: Scalars;
  /** `a.dot(b)`: the reference BLAS's sequential sum of rounded products (no FMA). */
  dot(a: FloatArray, b: FloatArray): Num;
  /** `a.abs().max()`. */
  absMax(a: FloatArray): Num;
  /** `a.abs().sum()`, summed in order (torch's own reduction order is emulated only up to 3 elements). */
  absSum(a: FloatArray): Num;
  /** `y.add_(x, alpha=alpha)`: fma(x, alpha, y) per element. */
  axpy(y: FloatArray, x: FloatArray, alpha: number): void;
  /** `out = a * scalar` (`a.mul(t)`, `torch.mul(q, H_diag)`); `out` may be `a`. */
  scale(out: FloatArray, a: FloatArray, scalar: number): void;
}

/** torch's vector operations for float32 (`f32`) or float64 parameters. */
export function vectorOps(f32: boolean): VectorOps {
  const r = f32 ? Math.fround : (x: number) => x;
  const s = new Scalars(r);
  const fma = f32 ? fma32 : (a: number, b: number, c: number) => a * b + c;
  return {
    f32,
    s,
    dot(a, b) {
      let acc = 0;
      for (let i = 0; i < a.length; i++) acc = r(acc + r(a[i] * b[i]));
      return s.ten(acc);
    },
    absMax(a) {
      let m = 0;
      for (let i = 0; i < a.length; i++) {
        const x = Math.abs(a[i]);
        if (x > m || Number.isNaN(x)) m = x;
      }
      return s.ten(m);
    },
    absSum(a) {
      let acc = 0;
      for (let i = 0; i < a.length; i++) acc = r(acc + Math.abs(a[i]));
      return s.ten(acc);
    },
    axpy(y, x, alpha) {
      const A = r(alpha);
      for (let i = 0; i < y.length; i++) y[i] = fma(x[i], A, y[i]);
    },
    scale(out, a, scalar) {
      const c = r(scalar);
      for (let i = 0; i < a.length; i++) out[i] = r(a[i] * c);
    },
  };
}

/**
 * torch's `_cubic_interpolate`: the minimizer of the cubic through (x1, f1, g1) and
 * (x2, f2, g2), clamped to the bounds (or the bounds' midpoint if it has none).
 */
export function cubicInterpolate(
  s: Scalars, x1: Num, f1: Num, g1: Num, x2: Num, f2: Num, g2: Num, bounds?: [Num, Num],
): Num {
  const [lo, hi] = bounds ?? (s.le(x1, x2) ? [x1, x2] : [x2, x1]);
  const three = s.py(3);
  // d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);  d2² = d1² - g1 g2
  const d1 = s.sub(s.add(g1, g2), s.div(s.mul(three, s.sub(f1, f2)), s.sub(x1, x2)));
  const d2Square = s.sub(s.mul(d1, d1), s.mul(g1, g2));
  if (s.ge(d2Square, s.py(0))) {
    const d2 = s.sqrt(d2Square);
    const two = s.py(2);
    const minPos = s.le(x1, x2)
      ? s.sub(x2, s.mul(s.sub(x2, x1), s.div(s.sub(s.add(g2, d2), d1), s.add(s.sub(g2, g1), s.mul(two, d2)))))
      : s.sub(x1, s.mul(s.sub(x1, x2), s.div(s.sub(s.add(g1, d2), d1), s.add(s.sub(g1, g2), s.mul(two, d2)))));
    return s.min(s.max(minPos, lo), hi);
  }
  return s.div(s.add(lo, hi), s.py(2));
}

/** Evaluate the objective at x + t·d: its value (a double) and its flat gradient. */
export type DirectionalEvaluate = (t: Num) => [number, FloatArray];

/** What the line search found: the loss and gradient at x + t·d, t, and how many evaluations it made. */
export interface LineSearchResult {
  /** The loss at the accepted step, a double. */
  loss: number;
  /** The flat gradient at the accepted step. */
  flatGrad: FloatArray;
  /** The accepted step length t. */
  t: Num;
  /** How many times the search evaluated the objective. */
  funcEvals: number;
}

/**
 * torch's `_strong_wolfe` (c1 = 1e-4, c2 = 0.9, tolerance_change, max_ls = 25): bracket a
 * step satisfying the strong Wolfe conditions, then zoom into the bracket by cubic
 * interpolation. `f`, `g`, `gtd` are the loss, gradient and directional derivative at t = 0.
 */
export function strongWolfe(
  ops: VectorOps, evaluate: DirectionalEvaluate, t0: Num, d: FloatArray, f: number, g: FloatArray, gtd: Num,
  toleranceChange = 1e-9, maxLs = 25,
): LineSearchResult {
  const { s } = ops;
  const c1 = s.py(1e-4);
  const c2 = s.py(0.9);
  const F = s.py(f);
  const dNorm = ops.absMax(d);
  // Armijo: f_new > f + c1·t·gtd (Python evaluates (c1 * t) * gtd)
  const armijoFails = (fNew: number, t: Num) => s.gt(s.py(fNew), s.add(F, s.mul(s.mul(c1, t), gtd)));
  const curvatureHolds = (gtdNew: Num) => s.le(s.abs(gtdNew), s.mul(s.neg(c2), gtd));

  let t = t0;
  let [fNew, gNew] = evaluate(t);
  let evals = 1;
  let gtdNew = ops.dot(gNew, d);

  let tPrev = s.py(0);
  let fPrev = f;
  let gPrev = g.slice();
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: Num[] = [];
  let bracketF: number[] = [];
  let bracketG: FloatArray[] = [];
  let bracketGtd: Num[] = [];
  while (lsIter < maxLs) {
    if (armijoFails(fNew, t) || (lsIter > 1 && fNew >= fPrev)) {
      [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew.slice()], [gtdPrev, gtdNew]];
      break;
    }
    if (curvatureHolds(gtdNew)) {
      [bracket, bracketF, bracketG] = [[t], [fNew], [gNew]];
      done = true;
      break;
    }
    if (s.ge(gtdNew, s.py(0))) {
      [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew.slice()], [gtdPrev, gtdNew]];
      break;
    }
    // interpolate
    const minStep = s.add(t, s.mul(s.py(0.01), s.sub(t, tPrev)));
    const maxStep = s.mul(t, s.py(10));
    const tmp = t;
    t = cubicInterpolate(s, tPrev, s.py(fPrev), gtdPrev, t, s.py(fNew), gtdNew, [minStep, maxStep]);
    // next step
    tPrev = tmp;
    fPrev = fNew;
    gPrev = gNew.slice();
    gtdPrev = gtdNew;
    [fNew, gNew] = evaluate(t);
    evals += 1;
    gtdNew = ops.dot(gNew, d);
    lsIter += 1;
  }
  // reached max number of iterations?
  if (lsIter === maxLs) [bracket, bracketF, bracketG] = [[s.py(0), t], [f, fNew], [g, gNew]];

  // zoom phase: refine the bracket until a point satisfies the conditions
  let insufficientProgress = false;
  let [low, high] = bracketF[0] <= bracketF[bracketF.length - 1] ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    // the bracket is too small
    if (s.lt(s.mul(s.abs(s.sub(bracket[1], bracket[0])), dNorm), s.py(toleranceChange))) break;
    t = cubicInterpolate(s, bracket[0], s.py(bracketF[0]), bracketGtd[0], bracket[1], s.py(bracketF[1]), bracketGtd[1]);
    // too close to a bound: move 0.1·(bracket length) away from it (after two such tries in a row, or when outside)
    const bMax = s.max(bracket[0], bracket[1]);
    const bMin = s.min(bracket[0], bracket[1]);
    const eps = s.mul(s.py(0.1), s.sub(bMax, bMin));
    if (s.lt(s.min(s.sub(bMax, t), s.sub(t, bMin)), eps)) {
      if (insufficientProgress || s.ge(t, bMax) || s.le(t, bMin)) {
        t = s.lt(s.abs(s.sub(t, bMax)), s.abs(s.sub(t, bMin))) ? s.sub(bMax, eps) : s.add(bMin, eps);
        insufficientProgress = false;
      } else {
        insufficientProgress = true;
      }
    } else {
      insufficientProgress = false;
    }
    // evaluate the new point
    [fNew, gNew] = evaluate(t);
    evals += 1;
    gtdNew = ops.dot(gNew, d);
    lsIter += 1;
    if (armijoFails(fNew, t) || fNew >= bracketF[low]) {
      // Armijo condition not satisfied or not lower than the lowest point
      bracket[high] = t;
      bracketF[high] = fNew;
      bracketG[high] = gNew.slice();
      bracketGtd[high] = gtdNew;
      [low, high] = bracketF[0] <= bracketF[1] ? [0, 1] : [1, 0];
    } else {
      if (curvatureHolds(gtdNew)) {
        done = true; // Wolfe conditions satisfied
      } else if (s.ge(s.mul(gtdNew, s.sub(bracket[high], bracket[low])), s.py(0))) {
        // old high becomes new low
        bracket[high] = bracket[low];
        bracketF[high] = bracketF[low];
        bracketG[high] = bracketG[low];
        bracketGtd[high] = bracketGtd[low];
      }
      // new point becomes new low
      bracket[low] = t;
      bracketF[low] = fNew;
      bracketG[low] = gNew.slice();
      bracketGtd[low] = gtdNew;
    }
  }
  return { loss: bracketF[low], flatGrad: bracketG[low], t: bracket[low], funcEvals: evals };
}
