import { WasmModule, fusedKernel, type FloatArray } from "@minigrad/tensor";
import { fma32 } from "../fma";
import { SGD_WASM_BASE64 } from "./sgd-wasm";

/*
 * SGD's float32 updates over unit-stride runs, as fused kernels of the tensor package: in
 * place on the arena (shared with the worker thread from 2^17 parameters), through copies, or
 * as `sgdRowF32` below, which is the same arithmetic (sgd.ts's rowF32 at unit stride) and
 * defines it. Bit-identical to PyTorch either way.
 *
 * Scalars of both (float32 values, then flags 1 or 0): NLR, WD, MU, DAMP, MAXIMIZE, L2,
 * NESTEROV, FIRST, as sgd.ts's `Constants`; `sgdF32` ignores MU to FIRST.
 */
const module = new WasmModule("sgd.wat", SGD_WASM_BASE64);

/** Without momentum. Arrays: param, grad. */
export const sgdF32 = fusedKernel({
  module,
  name: "sgd",
  dtype: "float32",
  arrays: 2,
  reads: [0, 1],
  writes: [0],
  scalars: 8,
  threadsFrom: 1 << 17,
  reference: (a, o, n, s) => reference(a, o, n, s, false),
});

/** With momentum. Arrays: param, grad, momentumBuffer. */
export const sgdMomentumF32 = fusedKernel({
  module,
  name: "sgdMomentum",
  dtype: "float32",
  arrays: 3,
  reads: [0, 1, 2],
  writes: [0, 2],
  scalars: 8,
  threadsFrom: 1 << 17,
  reference: (a, o, n, s) => reference(a, o, n, s, true),
});

function reference(a: readonly FloatArray[], o: readonly number[], n: number, s: readonly number[], heavyBall: boolean): void {
  sgdRowF32(a[0], o[0], a[1], o[1], heavyBall ? a[2] : a[0], heavyBall ? o[2] : o[0], n, s[0], s[1], s[2], s[3],
    s[4] !== 0, s[5] !== 0, heavyBall, s[6] !== 0, s[7] !== 0);
}

/**
 *   g = -g (maximize);  g = fma(p, WD, g) (l2)
 *   b = g (first) or b = fma(g, DAMP, r(b*MU));  g = fma(b, MU, g) (nesterov) or g = b  (heavyBall)
 *   p = fma(g, NLR, p)
 * (torch's d_p.add(param, alpha=wd); buf.mul_(mu).add_(d_p, alpha=1-dampening);
 * d_p.add(buf, alpha=mu); param.add_(d_p, alpha=-lr)). B is not touched without heavyBall.
 */
export function sgdRowF32(
  P: FloatArray, pi: number, G: FloatArray, gi: number, B: FloatArray, bi: number, n: number,
  NLR: number, WD: number, MU: number, DAMP: number,
  maximize: boolean, l2: boolean, heavyBall: boolean, nesterov: boolean, first: boolean,
): void {
  const fr = Math.fround;
  for (let i = 0; i < n; i++) {
    const p = P[pi + i];
    let g = maximize ? -G[gi + i] : G[gi + i];
    if (l2) g = fma32(p, WD, g);
    if (heavyBall) {
      const b = first ? g : fma32(g, DAMP, fr(B[bi + i] * MU));
      B[bi + i] = b;
      g = nesterov ? fma32(b, MU, g) : b;
    }
    P[pi + i] = fma32(g, NLR, p);
  }
}
