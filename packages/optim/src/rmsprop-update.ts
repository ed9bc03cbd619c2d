import type { FloatArray, Tensor } from "@minigrad/tensor";
import { OptimizerError, fmtShape } from "./errors";
import { fma32 } from "./fma";
import { hasOverlap } from "./strided";
import { rmspropPlainF32 } from "./kernels/rmsprop";
import { updateRows } from "./update-rows";

/** The options the update reads (a resolved parameter group has them all). */
export interface RMSpropHyperparameters {
  /** Learning rate γ: θ ← θ - γ g / (√v + ε). */
  lr: number;
  /** Smoothing constant α of the squared-gradient average: v ← α v + (1 - α) g². */
  alpha: number;
  /** ε, added to the denominator after the square root. */
  eps: number;
  /** L2 penalty λ, added to the gradient first: g ← g + λ θ. */
  weightDecay: number;
  /** μ: b ← μ b + g / (√v + ε), θ ← θ - γ b; 0 updates θ directly (no buffer). */
  momentum: number;
  /** Divide by √(v - m²) + ε, with m ← α m + (1 - α) g the gradient's average. */
  centered: boolean;
  /** Ascend the objective: g ← -g before anything else. */
  maximize: boolean;
}

/** The per-parameter buffers the update reads and writes, each shaped like the parameter. */
export interface RMSpropBuffers {
  /** v, the running average of the squared gradient. */
  squareAvg: Tensor;
  /** Present when momentum > 0. */
  momentumBuffer?: Tensor;
  /** Present when centered. */
  gradAvg?: Tensor;
}

/**
 * The scalars of one update, converted once to the parameter's precision. As in torch,
 * derived scalars (`1 - alpha`, `-lr`) are formed in double first and rounded after:
 * `fround(1 - alpha)`, never `1 - fround(alpha)`.
 */
interface Constants {
  A: number;
  W: number;
  EPS: number;
  WD: number;
  MU: number;
  NLR: number;
  maximize: boolean;
  decay: boolean;
  centered: boolean;
  heavyBall: boolean;
}

function constants(hp: RMSpropHyperparameters, round: (x: number) => number): Constants {
  return {
    A: round(hp.alpha),
    W: round(1 - hp.alpha),
    EPS: round(hp.eps),
    WD: round(hp.weightDecay),
    MU: round(hp.momentum),
    NLR: round(-hp.lr),
    maximize: hp.maximize,
    decay: hp.weightDecay !== 0,
    centered: hp.centered,
    heavyBall: hp.momentum > 0,
  };
}

/*
 * The row kernels: one fused pass per element over param (P), grad (G), squareAvg (V),
 * gradAvg (M) and momentumBuffer (B). Operands absent from the config alias V and are never
 * touched. `off`/`inc` are each operand's storage index and stride along the row.
 *
 * Float32 reproduces PyTorch's AVX2 CPU kernels operation by operation (torch-semantics.md
 * §1.9): every float32 op is one double op rounded with fround (exact for + - * / sqrt on
 * float32 inputs), and the ops torch computes with an FMA use fma32:
 *   g = -g (maximize);  g = fma(p, WD, g)                   grad.add(p, alpha=wd)
 *   v = fma(r(W*g), g, r(v*A))                              square_avg.mul_(alpha).addcmul_(g, g, value=1-alpha)
 *   m = fma(g, W, r(m*A));  d = r(sqrt(fma(-m, m, v)))      1.13: grad_avg.mul_(alpha).add_(g, alpha=1-alpha)
 *   d = r(d + EPS)                                          avg.add_(eps): eps after the sqrt
 *   b = r(r(b*MU) + r(g/d));  p = fma(b, NLR, p)            buf.mul_(mu).addcdiv_(g, avg); p.add_(buf, alpha=-lr)
 *   p = r(p + r(r(NLR*g)/d))                                p.addcdiv_(g, avg, value=-lr)
 */
function rowF32(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, V, M, B] = arrays;
  const fr = Math.fround;
  const { A, W, EPS, WD, MU, NLR, maximize, decay, centered, heavyBall } = c;
  let pi = off[0], gi = off[1], vi = off[2], mi = off[3], bi = off[4];
  const ps = inc[0], gs = inc[1], vs = inc[2], ms = inc[3], bs = inc[4];
  for (let i = 0; i < n; i++) {
    const p = P[pi];
    let g = maximize ? -G[gi] : G[gi];
    if (decay) g = fma32(p, WD, g);
    const v = fma32(fr(W * g), g, fr(V[vi] * A));
    V[vi] = v;
    let d: number;
    if (centered) {
      const m = fma32(g, W, fr(M[mi] * A));
      M[mi] = m;
      d = fr(Math.sqrt(fma32(-m, m, v))); // NaN when rounding makes v - m² negative, as torch
    } else {
      d = fr(Math.sqrt(v));
    }
    d = fr(d + EPS);
    if (heavyBall) {
      const b = fr(fr(B[bi] * MU) + fr(g / d));
      B[bi] = b;
      P[pi] = fma32(b, NLR, p);
    } else {
      P[pi] = fr(p + fr(fr(NLR * g) / d));
    }
    pi += ps; gi += gs; vi += vs; mi += ms; bi += bs;
  }
}

/** Float64: the same operations in the same order, each a double op (a*b + c for torch's FMAs). */
function rowF64(arrays: readonly FloatArray[], off: Int32Array, inc: Int32Array, n: number, c: Constants): void {
  const [P, G, V, M, B] = arrays;
  const { A, W, EPS, WD, MU, NLR, maximize, decay, centered, heavyBall } = c;
  let pi = off[0], gi = off[1], vi = off[2], mi = off[3], bi = off[4];
  const ps = inc[0], gs = inc[1], vs = inc[2], ms = inc[3], bs = inc[4];
  for (let i = 0; i < n; i++) {
    const p = P[pi];
    let g = maximize ? -G[gi] : G[gi];
    if (decay) g = p * WD + g;
    const v = W * g * g + V[vi] * A;
    V[vi] = v;
    let d: number;
    if (centered) {
      const m = g * W + M[mi] * A;
      M[mi] = m;
      d = Math.sqrt(-m * m + v);
    } else {
      d = Math.sqrt(v);
    }
    d += EPS;
    if (heavyBall) {
      const b = B[bi] * MU + g / d;
      B[bi] = b;
      P[pi] = b * NLR + p;
    } else {
      P[pi] = p + (NLR * g) / d;
    }
    pi += ps; gi += gs; vi += vs; mi += ms; bi += bs;
  }
}

/** No maximize, weight decay, centering or momentum: the update of kernels/rmsprop.ts. */
function isPlain(c: Constants): boolean {
  return !c.maximize && !c.decay && !c.centered && !c.heavyBall;
}

/** `t` must exist (else say why it may not) and match the parameter's shape and dtype. */
function checkOperand(name: string, t: Tensor | undefined, param: Tensor, whyMissing = ""): Tensor {
  if (t === undefined) {
    throw new OptimizerError(`RMSprop: the parameter's state has no ${name}${whyMissing && ` (${whyMissing})`}`);
  }
  const sameShape = t.shape.length === param.shape.length && t.shape.every((d, i) => d === param.shape[i]);
  if (!sameShape || t.dtype !== param.dtype) {
    throw new OptimizerError(
      `RMSprop: ${name} is ${t.dtype} ${fmtShape(t.shape)} ` +
        `but the parameter is ${param.dtype} ${fmtShape(param.shape)}`,
    );
  }
  return t;
}

/**
 * One RMSprop update of one parameter, in place, exactly as torch's for-loop
 * implementation (1.13): see `RMSprop` for the algorithm. Reads `grad` (never modifies
 * it), updates `param` and the buffers in a single pass over their typed arrays (any
 * strides, no temporary tensors). Float32 is bit-identical to PyTorch's CPU kernels.
 */
export function rmspropUpdate(param: Tensor, grad: Tensor, state: RMSpropBuffers, hp: RMSpropHyperparameters): void {
  if (param.dtype !== "float32" && param.dtype !== "float64") {
    throw new OptimizerError(`RMSprop: parameters must be float32 or float64, got ${param.dtype}`);
  }
  if (hasOverlap(param)) {
    throw new OptimizerError("RMSprop: cannot update a parameter whose elements share memory (an expanded view)");
  }
  checkOperand("grad", grad, param);
  const sq = checkOperand("squareAvg", state.squareAvg, param);
  // Buffers a config does not use alias squareAvg; the kernels never touch them.
  const m = hp.centered
    ? checkOperand("gradAvg", state.gradAvg, param, "centered was turned on after it was created")
    : sq;
  const b = hp.momentum > 0
    ? checkOperand("momentumBuffer", state.momentumBuffer, param, "momentum was turned on after it was created")
    : sq;
  // The default options in float32: the fused kernel (WebAssembly SIMD) over param, grad and squareAvg.
  const fused = (c: Constants) =>
    isPlain(c) ? { kernel: rmspropPlainF32, arity: 3, scalars: [c.A, c.W, c.EPS, c.NLR] } : undefined;
  updateRows([param, grad, sq, m, b], (round) => constants(hp, round), rowF32, rowF64, fused);
}
