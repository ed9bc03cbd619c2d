import { WasmModule, fusedKernel, type FloatArray } from "@minigrad/tensor";
import { fma32 } from "../fma";
import { RMSPROP_WASM_BASE64 } from "./rmsprop-wasm";

/**
 * RMSprop's update with the default options (no maximize, weight decay, centering or
 * momentum) over unit-stride float32 runs, as a fused kernel of the tensor package: in place
 * on the arena (shared with the worker thread from 2^17 parameters), through copies, or as
 * `rowF32Plain` below, which is the same arithmetic (rmsprop-update.ts's rowF32 without the
 * option branches) and defines it. Bit-identical to PyTorch either way.
 *
 * Arrays: param, grad, squareAvg. Scalars (float32 values): A = alpha, W = 1 - alpha,
 * EPS = eps, NLR = -lr.
 */
export const rmspropPlainF32 = fusedKernel({
  module: new WasmModule("rmsprop.wat", RMSPROP_WASM_BASE64),
  name: "rmsprop",
  dtype: "float32",
  arrays: 3,
  reads: [0, 1, 2],
  writes: [0, 2],
  scalars: 4,
  threadsFrom: 1 << 17,
  reference: (arrays, offsets, n, [A, W, EPS, NLR]) => {
    rowF32Plain(arrays[0], offsets[0], arrays[1], offsets[1], arrays[2], offsets[2], n, A, W, EPS, NLR);
  },
});

/**
 *   v = fma(fl(W*g), g, fl(v*A));  p = fl(p + fl(fl(NLR*g) / fl(fl(sqrt v) + EPS)))
 * (torch's square_avg.mul_(alpha).addcmul_(g, g, value=1-alpha); p.addcdiv_(g, avg, value=-lr)).
 */
export function rowF32Plain(
  P: FloatArray, pi: number, G: FloatArray, gi: number, V: FloatArray, vi: number, n: number,
  A: number, W: number, EPS: number, NLR: number,
): void {
  const fr = Math.fround;
  for (let i = 0; i < n; i++) {
    const g = G[gi + i];
    const v = fma32(fr(W * g), g, fr(V[vi + i] * A));
    V[vi + i] = v;
    const d = fr(fr(Math.sqrt(v)) + EPS);
    P[pi + i] = fr(P[pi + i] + fr(fr(NLR * g) / d));
  }
}
