import { WasmModule, fusedKernel, type FloatArray } from "@minigrad/tensor";
import { fma32 } from "../fma";
import { ADAM_WASM_BASE64 } from "./adam-wasm";

/**
 * Adam's and AdamW's float32 update without amsgrad over unit-stride runs, as a fused kernel
 * of the tensor package: in place on the arena (shared with the worker thread from 2^17
 * parameters), through copies, or as `adamRowF32` below, which is the same arithmetic
 * (adam.ts's rowF32 at unit stride) and defines it. Bit-identical to PyTorch either way.
 *
 * Arrays: param, grad, expAvg, expAvgSq. Scalars (float32 values, then flags 1 or 0): B1, W1,
 * B2, W2, BC2, EPS, NSS, WD, DECAY, MAXIMIZE, L2, DECOUPLED, as adam.ts's `Constants`.
 */
export const adamF32 = fusedKernel({
  module: new WasmModule("adam.wat", ADAM_WASM_BASE64),
  name: "adam",
  dtype: "float32",
  arrays: 4,
  reads: [0, 1, 2, 3],
  writes: [0, 2, 3],
  scalars: 12,
  threadsFrom: 1 << 17,
  reference: (a, o, n, s) => {
    adamRowF32(a[0], o[0], a[1], o[1], a[2], o[2], a[3], o[3], n, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8],
      s[9] !== 0, s[10] !== 0, s[11] !== 0);
  },
});

/**
 *   g = -g (maximize);  g = fma(p, WD, g) (l2);  p = r(p * DECAY) (decoupled)
 *   m = fma(g, W1, r(m*B1));  v = fma(r(W2*g), g, r(v*B2))
 *   p = r(p + r(r(NSS*m) / r(r(r(sqrt v) / BC2) + EPS)))
 * (torch's grad.add(param, alpha=wd); param.mul_(1 - lr*wd); exp_avg.mul_(beta1).add_(grad,
 * alpha=1-beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2);
 * param.addcdiv_(exp_avg, denom, value=-step_size)).
 */
export function adamRowF32(
  P: FloatArray, pi: number, G: FloatArray, gi: number, M: FloatArray, mi: number, V: FloatArray, vi: number, n: number,
  B1: number, W1: number, B2: number, W2: number, BC2: number, EPS: number, NSS: number, WD: number, DECAY: number,
  maximize: boolean, l2: boolean, decoupled: boolean,
): void {
  const fr = Math.fround;
  for (let i = 0; i < n; i++) {
    let p = P[pi + i];
    let g = maximize ? -G[gi + i] : G[gi + i];
    if (l2) g = fma32(p, WD, g);
    if (decoupled) p = fr(p * DECAY);
    const m = fma32(g, W1, fr(M[mi + i] * B1));
    M[mi + i] = m;
    const v = fma32(fr(W2 * g), g, fr(V[vi + i] * B2));
    V[vi + i] = v;
    const d = fr(fr(fr(Math.sqrt(v)) / BC2) + EPS);
    P[pi + i] = fr(p + fr(fr(NSS * m) / d));
  }
}
