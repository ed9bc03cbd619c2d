import { isGradEnabled } from "../autograd/grad-mode";
import { gradThrough } from "../autograd/grad";
import { twice } from "../autograd/node";
import { record } from "../autograd/record";
import { cat, stack } from "./movement";
import { isFloating, type FloatArray } from "../dtype";
import { DTypeError, ShapeError, fmtShape } from "../errors";
import { matmulKernel, type Matrix } from "../kernels/matmul";
import * as k from "../kernels/recurrent";
import { Tensor, checkAlive } from "../tensor";

/** The recurrences of `recurrentLayer`, by torch's mode names (`torch.nn.RNNBase.mode`). */
export type RecurrentMode = "LSTM" | "GRU" | "RNN_TANH" | "RNN_RELU";

/** Gate blocks per mode: the rows of W_hh are `gates * hidden`. */
const GATES: Record<RecurrentMode, number> = { LSTM: 4, GRU: 3, RNN_TANH: 1, RNN_RELU: 1 };

/**
 * One recurrent layer in one direction over a whole sequence, as the loop inside torch's
 * `_VF.lstm` / `_VF.gru` / `_VF.rnn_tanh` for one layer: a single differentiable op.
 *
 * `xproj` (T, B, G*H) is the input projection x W_ih^T + b_ih of every step, computed once
 * for the sequence by the caller (one matmul); `wHh` (G*H, H) and `bHh` (G*H, or null) the
 * hidden weights; `h0`, `c0` (B, H) the initial states (`c0` for LSTM only, null otherwise).
 * Each step computes h W_hh^T + b_hh with the matmul kernel and the gate math in one loop
 * (kernels/recurrent.ts), in torch's gate order and formulas:
 *   LSTM  i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of (x_t + p);  c' = f c + i g;  h' = o tanh c'
 *   GRU   r, z = sigmoid(x + p);  n = tanh(x_n + r p_n);  h' = n + z (h - n)
 *   RNN   h' = tanh(x_t + p) or relu(x_t + p)
 * With `reverse` the steps run from t = T-1 down to 0 (the backward half of a bidirectional
 * layer); outputs stay at their time index.
 *
 * Returns (T, B, H), the hidden state after each step, at its time index; for LSTM
 * (T + 1, B, H), whose last row is the final cell state c_n.
 *
 * The backward is backpropagation through time in one pass: per step the gate gradients in
 * one loop and dh = dgates W_hh (one matmul); then dW_hh = dgates^T H_prev and db_hh as a
 * single product and column sum over the whole sequence, and dxproj = the gates' gradients
 * (for GRU, with r p_n's part on the n gate).
 */
export function recurrentLayer(
  mode: RecurrentMode, xproj: Tensor, wHh: Tensor, bHh: Tensor | null, h0: Tensor, c0: Tensor | null,
  reverse = false,
): Tensor {
  const op = "recurrentLayer";
  for (const t of [xproj, wHh, h0, ...(bHh ? [bHh] : []), ...(c0 ? [c0] : [])]) checkAlive(op, t);
  const G = GATES[mode];
  if (G === undefined) throw new ShapeError(`${op}: unknown mode '${String(mode)}'`);
  const lstm = mode === "LSTM";
  if (xproj.ndim !== 3 || wHh.ndim !== 2) {
    throw new ShapeError(`${op}: expected xproj (T, B, G*H) and wHh (G*H, H), got ${fmtShape(xproj.shape)} and ${fmtShape(wHh.shape)}`);
  }
  const [T, B, GH] = xproj.shape;
  const H = wHh.shape[1];
  const bad = (what: string, t: Tensor, shape: number[]) =>
    new ShapeError(`${op}: expected ${what} of shape ${fmtShape(shape)}, got ${fmtShape(t.shape)}`);
  if (T === 0) throw new ShapeError(`${op}: expected a sequence of at least one step, got ${fmtShape(xproj.shape)}`);
  if (wHh.shape[0] !== G * H || GH !== G * H) throw bad("wHh", wHh, [GH, GH / G]);
  if (bHh !== null && (bHh.ndim !== 1 || bHh.shape[0] !== GH)) throw bad("bHh", bHh, [GH]);
  if (h0.ndim !== 2 || h0.shape[0] !== B || h0.shape[1] !== H) throw bad("h0", h0, [B, H]);
  if (lstm !== (c0 !== null)) throw new ShapeError(`${op}: c0 is ${lstm ? "required" : "only taken"} for LSTM`);
  if (c0 !== null && (c0.ndim !== 2 || c0.shape[0] !== B || c0.shape[1] !== H)) throw bad("c0", c0, [B, H]);
  const dtype = xproj.dtype;
  for (const t of [wHh, h0, ...(bHh ? [bHh] : []), ...(c0 ? [c0] : [])]) {
    if (t.dtype !== dtype || !isFloating(dtype)) {
      throw new DTypeError(`${op}: expected float tensors of one dtype, got ${dtype} and ${t.dtype}`);
    }
  }

  const BH = B * H, BG = B * GH;
  const x = xproj.contiguous(), hInit = h0.contiguous(), cInit = c0?.contiguous() ?? null;
  const X = x._data as FloatArray;
  const wT: Matrix = { data: wHh._data, offset: wHh.offset, rowStride: wHh.strides[1], colStride: wHh.strides[0] };
  const bias = bHh === null ? null : { data: bHh._data, offset: bHh.offset, stride: bHh.strides[0] };
  const out = Tensor._uninitialized(lstm ? [T + 1, B, H] : [T, B, H], dtype);
  const Y = out._data as FloatArray;
  // Saved for backward (and so checked by the engine): activations, previous hidden states,
  // and for LSTM every cell state and its tanh; for GRU the hidden projection of the n gate.
  // The activations' buffer ends with the step's scratch (gate-major pre-activations): one
  // block, so a long sequence's sigmoids run in place in the arena (no copies in and out).
  const actT = Tensor._uninitialized([(T + 1) * (mode === "RNN_TANH" || mode === "RNN_RELU" ? BH : BG)], dtype);
  const hPrevT = Tensor._uninitialized([T * BH], dtype);
  const extraT = Tensor._uninitialized([mode === "GRU" ? T * BH : lstm ? 2 * T * BH : 0], dtype);
  const A = actT._data as FloatArray, HP = hPrevT._data as FloatArray, E = extraT._data as FloatArray;
  const P = dtype === "float32" ? new Float32Array(BG) : new Float64Array(BG);
  const prev = (t: number) => (reverse ? t + 1 : t - 1);
  const tcs = T * BH; // LSTM: E = [c_t for every t, then tanh c_t for every t]

  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    if (s === 0) HP.set((hInit._data as FloatArray).subarray(hInit.offset, hInit.offset + BH), t * BH);
    else HP.set(Y.subarray(prev(t) * BH, prev(t) * BH + BH), t * BH);
    matmulKernel(P, 0, { data: HP, offset: t * BH, rowStride: H, colStride: 1 }, wT, B, H, GH, bias);
    const xo = x.offset + t * BG;
    if (lstm) {
      const [cData, co] = s === 0 ? [cInit!._data as FloatArray, cInit!.offset] : [E, prev(t) * BH];
      k.lstmForward(P, X, xo, A, T * BG, A, t * BG, cData, co, E, t * BH, E, tcs + t * BH, Y, t * BH, B, H);
    } else if (mode === "GRU") {
      k.gruForward(P, X, xo, A, T * BG, A, t * BG, E, t * BH, HP, t * BH, Y, t * BH, B, H);
    } else {
      k.rnnForward(P, X, xo, Y, t * BH, BH, mode === "RNN_RELU");
      A.set(Y.subarray(t * BH, t * BH + BH), t * BH);
    }
  }
  if (lstm) Y.set(E.subarray((reverse ? 0 : T - 1) * BH, (reverse ? 0 : T - 1) * BH + BH), T * BH);

  const inputs = [xproj, wHh, h0, ...(c0 ? [c0] : []), ...(bHh ? [bHh] : [])];
  return record(out, `${mode === "LSTM" ? "Lstm" : mode === "GRU" ? "Gru" : "Rnn"}Backward`, inputs, twice((g, saved, needs) => {
    if (isGradEnabled()) {
      // createGraph: differentiate a recorded recomputation of the recurrence instead of the
      // fused BPTT, through aliases of the inputs (gradThrough stops there).
      const aliases = inputs.map((t) => t.view([...t.shape]));
      const [ax, aw, ah] = aliases;
      const ac = lstm ? aliases[3] : null, ab = bHh !== null ? aliases[aliases.length - 1] : null;
      const grads = gradThrough(recurrence(mode, ax, aw, ab, ah, ac, reverse), aliases, g);
      return grads.map((d, i) => (needs[i] ? d : null));
    }
    const [wSaved, aS, hpS, eS] = saved;
    const gc = g.contiguous();
    const GY = gc._data as FloatArray, go = gc.offset;
    const a = aS._data as FloatArray, hp = hpS._data as FloatArray, e = eS._data as FloatArray;
    const dP = Tensor._uninitialized([T, B, GH], dtype), dX = mode === "GRU" ? Tensor._uninitialized([T, B, GH], dtype) : dP;
    const DP = dP._data as FloatArray, DX = dX._data as FloatArray;
    const dhT = Tensor.empty([B, H], dtype), dcT = Tensor.empty([B, H], dtype);
    const dh = dhT._data as FloatArray, dc = dcT._data as FloatArray;
    const tmp = dtype === "float32" ? new Float32Array(BH) : new Float64Array(BH);
    if (lstm) dc.set(GY.subarray(go + T * BH, go + T * BH + BH));
    const w: Matrix = { data: wSaved._data, offset: wSaved.offset, rowStride: wSaved.strides[0], colStride: wSaved.strides[1] };
    const cInitB = lstm ? saved[4] : null;
    for (let s = T - 1; s >= 0; s--) {
      const t = reverse ? T - 1 - s : s;
      for (let j = 0, o = go + t * BH; j < BH; j++) dh[j] += GY[o + j];
      if (lstm) {
        const [cData, co] = s === 0 ? [cInitB!._data as FloatArray, cInitB!.offset] : [e, prev(t) * BH];
        k.lstmBackward(dh, dc, a, t * BG, e, tcs + t * BH, cData, co, DP, t * BG, B, H);
      } else if (mode === "GRU") {
        k.gruBackward(dh, a, t * BG, e, t * BH, hp, t * BH, DX, DP, t * BG, B, H);
      } else {
        k.rnnBackward(dh, a, t * BH, DP, t * BG, BH, mode === "RNN_RELU");
      }
      if (s === 0 && !needs[2]) break;
      const dpt = { data: DP, offset: t * BG, rowStride: GH, colStride: 1 };
      if (mode === "GRU") {
        matmulKernel(tmp, 0, dpt, w, B, GH, H);
        for (let j = 0; j < BH; j++) dh[j] += tmp[j];
      } else {
        matmulKernel(dh, 0, dpt, w, B, GH, H);
      }
    }
    let dW: Tensor | null = null, db: Tensor | null = null;
    if (needs[1]) {
      dW = Tensor._uninitialized([GH, H], dtype);
      const dgT = { data: DP, offset: 0, rowStride: 1, colStride: GH };
      matmulKernel(dW._data as FloatArray, 0, dgT, { data: hp, offset: 0, rowStride: H, colStride: 1 }, GH, T * B, H);
    }
    if (bHh !== null && needs[inputs.length - 1]) {
      db = Tensor._uninitialized([GH], dtype);
      const acc = new Float64Array(GH);
      for (let r = 0; r < T * B; r++) for (let j = 0, o = r * GH; j < GH; j++) acc[j] += DP[o + j];
      (db._data as FloatArray).set(acc);
    }
    return [needs[0] ? dX : null, dW, needs[2] ? dhT : null, ...(lstm ? [needs[3] ? dcT : null] : []), ...(bHh ? [db] : [])];
  }), [wHh, actT, hPrevT, extraT, ...(cInit ? [cInit] : [])]);
}

/**
 * The same recurrence in recorded ops, step by step (for createGraph: differentiable again);
 * the same outputs as recurrentLayer, up to rounding.
 */
function recurrence(
  mode: RecurrentMode, xproj: Tensor, wHh: Tensor, bHh: Tensor | null, h0: Tensor, c0: Tensor | null, reverse: boolean,
): Tensor {
  const T = xproj.shape[0], H = wHh.shape[1];
  const gate = (v: Tensor, k: number) => v.narrow(1, k * H, H);
  const outs: Tensor[] = new Array<Tensor>(T);
  let h = h0, c = c0;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const x = xproj.select(0, t);
    let p = h.matmul(wHh.T);
    if (bHh !== null) p = p.add(bHh);
    if (mode === "LSTM") {
      const z = x.add(p);
      c = gate(z, 1).sigmoid().mul(c as Tensor).add(gate(z, 0).sigmoid().mul(gate(z, 2).tanh()));
      h = gate(z, 3).sigmoid().mul(c.tanh());
    } else if (mode === "GRU") {
      const r = gate(x, 0).add(gate(p, 0)).sigmoid(), u = gate(x, 1).add(gate(p, 1)).sigmoid();
      const n = gate(x, 2).add(r.mul(gate(p, 2))).tanh();
      h = n.add(u.mul(h.sub(n)));
    } else {
      h = mode === "RNN_RELU" ? x.add(p).relu() : x.add(p).tanh();
    }
    outs[t] = h;
  }
  const y = stack(outs, 0);
  return mode === "LSTM" ? cat([y, (c as Tensor).unsqueeze(0)], 0) : y;
}
