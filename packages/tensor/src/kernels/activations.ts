import type { BinaryRow, UnaryRow } from "./elementwise";

/**
 * Row loops of the parametrised activations (ops/activations.ts): each factory closes over
 * the op's constants and returns a loop `out[io + i*so] = f(a[ia + i*sa])`, so one closure
 * is made per call, none per element. Backward loops take (g, x) and give dy/dx * g.
 * They compute in double; a float32 output rounds once when stored. NaN stays NaN.
 */

/** x > 0 ? x : slope x */
export function leakyReluRow(slope: number): UnaryRow {
  return (out, io, so, a, ia, sa, n) => {
    for (let i = 0; i < n; i++, io += so, ia += sa) { const x = a[ia]; out[io] = x > 0 ? x : x * slope; }
  };
}
/** g (x > 0 ? 1 : slope) */
export function leakyReluGradRow(slope: number): BinaryRow {
  return (out, io, so, g, ig, sg, a, ia, sa, n) => {
    for (let i = 0; i < n; i++, io += so, ig += sg, ia += sa) out[io] = a[ia] > 0 ? g[ig] : g[ig] * slope;
  };
}

/** x > 0 ? x : alpha (e^x - 1) */
export function eluRow(alpha: number): UnaryRow {
  return (out, io, so, a, ia, sa, n) => {
    for (let i = 0; i < n; i++, io += so, ia += sa) { const x = a[ia]; out[io] = x > 0 ? x : alpha * Math.expm1(x); }
  };
}
/** g (x > 0 ? 1 : alpha e^x) */
export function eluGradRow(alpha: number): BinaryRow {
  return (out, io, so, g, ig, sg, a, ia, sa, n) => {
    for (let i = 0; i < n; i++, io += so, ig += sg, ia += sa) {
      const x = a[ia];
      out[io] = x > 0 ? g[ig] : g[ig] * alpha * Math.exp(x);
    }
  };
}

/** beta x > threshold ? x : log(1 + e^(beta x)) / beta */
export function softplusRow(beta: number, threshold: number): UnaryRow {
  return (out, io, so, a, ia, sa, n) => {
    for (let i = 0; i < n; i++, io += so, ia += sa) {
      const x = a[ia];
      out[io] = x * beta > threshold ? x : Math.log1p(Math.exp(x * beta)) / beta;
    }
  };
}
/** g (beta x > threshold ? 1 : z / (z + 1)), z = e^(beta x) */
export function softplusGradRow(beta: number, threshold: number): BinaryRow {
  return (out, io, so, g, ig, sg, a, ia, sa, n) => {
    for (let i = 0; i < n; i++, io += so, ig += sg, ia += sa) {
      const x = a[ia];
      const z = Math.exp(x * beta);
      out[io] = x * beta > threshold ? g[ig] : (g[ig] * z) / (z + 1);
    }
  };
}

/** min(max(x, lo), hi) */
export function hardtanhRow(lo: number, hi: number): UnaryRow {
  return (out, io, so, a, ia, sa, n) => {
    for (let i = 0; i < n; i++, io += so, ia += sa) {
      const x = a[ia];
      out[io] = x < lo ? lo : x > hi ? hi : x;
    }
  };
}
/** g where lo < x < hi, else 0 (torch: no gradient on the bounds themselves) */
export function hardtanhGradRow(lo: number, hi: number): BinaryRow {
  return (out, io, so, g, ig, sg, a, ia, sa, n) => {
    for (let i = 0; i < n; i++, io += so, ig += sg, ia += sa) {
      const x = a[ia];
      out[io] = x <= lo || x >= hi ? 0 : g[ig];
    }
  };
}

/** x sigmoid(x) */
export const silu: UnaryRow = (out, io, so, a, ia, sa, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa) { const x = a[ia]; out[io] = x / (1 + Math.exp(-x)); }
};
/** g s (1 + x (1 - s)), s = sigmoid(x) */
export const siluGrad: BinaryRow = (out, io, so, g, ig, sg, a, ia, sa, n) => {
  for (let i = 0; i < n; i++, io += so, ig += sg, ia += sa) {
    const x = a[ia];
    const s = 1 / (1 + Math.exp(-x));
    out[io] = g[ig] * s * (1 + x * (1 - s));
  }
};

/** x tanh(log(1 + e^x)) */
export const mish: UnaryRow = (out, io, so, a, ia, sa, n) => {
  for (let i = 0; i < n; i++, io += so, ia += sa) { const x = a[ia]; out[io] = x * Math.tanh(Math.log1p(Math.exp(x))); }
};
/** g (t + x s (1 - t^2)), t = tanh(softplus(x)), s = sigmoid(x) */
export const mishGrad: BinaryRow = (out, io, so, g, ig, sg, a, ia, sa, n) => {
  for (let i = 0; i < n; i++, io += so, ig += sg, ia += sa) {
    const x = a[ia];
    const s = 1 / (1 + Math.exp(-x));
    const t = Math.tanh(Math.log1p(Math.exp(x)));
    out[io] = g[ig] * (t + x * s * (1 - t * t));
  }
};
