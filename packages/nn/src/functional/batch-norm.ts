import { ArgumentError, ShapeError, Tensor, isGradEnabled, noGrad, record, tensor, twice, type FloatArray } from "@minigrad/tensor";
import { checkFloating, dense, fmtShape } from "./util";

/** Options of `batchNorm`; the defaults are torch's. */
export interface BatchNormOptions {
  /** The per-channel scale (C), or none. */
  weight?: Tensor | null;
  /** The per-channel shift (C), or none. */
  bias?: Tensor | null;
  /** Normalise with the batch's statistics (and update the running ones); false by default. */
  training?: boolean;
  /** The running statistics move this far towards the batch's in training: r = (1 - m) r + m b (0.1). */
  momentum?: number;
  /** Added to the variance before the square root (1e-5). */
  eps?: number;
}

/**
 * Batch normalisation, as torch's F.batch_norm, over an input (N, C, *) with C channels.
 * Per channel c, over the M = N * prod(*) values it holds:
 *   y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c
 * In training, mean and var are the batch's (var biased, divided by M), and the running
 * statistics (when given) are updated in place: runningMean = (1 - momentum) runningMean
 * + momentum mean, runningVar likewise with the unbiased var (divided by M - 1). Otherwise
 * the running statistics normalise.
 *
 * One primitive: in training one pass over the input for the statistics (shifted sums) and
 * one for the output (eval: the output pass only), and torch's backward in two passes, with
 * xhat = (x - mean) invstd:
 *   training: dx = weight invstd (g - mean(g) - xhat mean(g xhat))   (means over the channel)
 *   eval:     dx = weight invstd g
 *   dweight = sum(g xhat),  dbias = sum(g)
 */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  options: BatchNormOptions = {},
): Tensor {
  const op = "batchNorm";
  const { weight = null, bias = null, training = false, momentum = 0.1, eps = 1e-5 } = options;
  checkFloating(op, "input", input);
  if (input.ndim < 2) {
    throw new ShapeError(`${op}: expected an input (N, C, *) of at least 2 dimensions, got ${fmtShape(input.shape)}`);
  }
  const [batch, channels] = input.shape;
  const inner = input.shape.slice(2).reduce((p, s) => p * s, 1);
  const count = batch * inner;
  if (training && count <= 1) {
    throw new ArgumentError(`Expected more than 1 value per channel when training, got input size ${fmtShape(input.shape)}`);
  }
  for (const [name, t] of [["running_mean", runningMean], ["running_var", runningVar], ["weight", weight], ["bias", bias]] as const) {
    if (t !== null && t.numel !== channels) {
      throw new ShapeError(`${name} should contain ${channels} elements not ${t.numel}`);
    }
  }
  if (!training && (runningMean === null || runningVar === null)) {
    throw new ArgumentError(`${op}: running_mean and running_var must be defined in evaluation mode`);
  }
  const x = dense(input);
  const mean = new Float64Array(channels);
  const invstd = new Float64Array(channels);
  if (training) {
    // One pass over the input, in memory order, of sums shifted by each channel's first value
    // (so a large offset costs no precision): s1 = sum(x - k), s2 = sum((x - k)^2).
    const shift = new Float64Array(channels);
    const s1 = new Float64Array(channels);
    const s2 = new Float64Array(channels);
    for (let c = 0; c < channels; c++) shift[c] = x[c * inner];
    for (let n = 0, i = 0; n < batch; n++) {
      for (let c = 0; c < channels; c++) {
        const k = shift[c];
        let a = 0, b = 0;
        for (let s = 0; s < inner; s++, i++) { const d = x[i] - k; a += d; b += d * d; }
        s1[c] += a;
        s2[c] += b;
      }
    }
    const unbiased = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      const sq = Math.max(s2[c] - (s1[c] * s1[c]) / count, 0); // sum of squared deviations
      mean[c] = shift[c] + s1[c] / count;
      invstd[c] = 1 / Math.sqrt(sq / count + eps);
      unbiased[c] = sq / (count - 1);
    }
    if (runningMean !== null) updateRunning(runningMean, mean, momentum);
    if (runningVar !== null) updateRunning(runningVar, unbiased, momentum);
  } else {
    const rm = dense(runningMean as Tensor);
    const rv = dense(runningVar as Tensor);
    for (let c = 0; c < channels; c++) {
      mean[c] = rm[c];
      invstd[c] = 1 / Math.sqrt(rv[c] + eps);
    }
  }
  const w = weight === null ? null : dense(weight);
  const b = bias === null ? null : dense(bias);
  const scale = new Float64Array(channels); // y = x * scale + shift, per channel
  const offset = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = invstd[c] * (w ? w[c] : 1);
    offset[c] = (b ? b[c] : 0) - mean[c] * scale[c];
  }
  const out = Tensor.empty(input.shape, input.dtype);
  const o = out._data as FloatArray;
  for (let n = 0, i = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const sc = scale[c], of = offset[c];
      for (let s = 0; s < inner; s++, i++) o[i] = x[i] * sc + of;
    }
  }
  const inputs = [input, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(out, "NativeBatchNormBackward", inputs, twice((g, [input], needs) => {
    if (isGradEnabled()) return recordedGrads(g, input, needs); // createGraph: the same derivative in recorded ops
    const xs = dense(input);
    const gv = dense(g);
    // One pass for the per-channel sums of g and g (x - mean), one for dx.
    const sumG = new Float64Array(channels);
    const sumGD = new Float64Array(channels);
    for (let n = 0, i = 0; n < batch; n++) {
      for (let c = 0; c < channels; c++) {
        const m = mean[c];
        let a = 0, d = 0;
        for (let s = 0; s < inner; s++, i++) { a += gv[i]; d += gv[i] * (xs[i] - m); }
        sumG[c] += a;
        sumGD[c] += d;
      }
    }
    const dw = sumGD.map((v, c) => v * invstd[c]); // sum(g xhat)
    let dx: Tensor | null = null;
    if (needs[0]) {
      dx = Tensor.empty(input.shape, input.dtype);
      const gx = dx._data as FloatArray;
      // dx = scale (g - mean(g) - (x - mean) invstd^2 mean(g (x - mean)))
      const meanG = sumG.map((v) => (training ? v / count : 0));
      const k = dw.map((v, c) => (training ? (v * invstd[c]) / count : 0));
      for (let n = 0, i = 0; n < batch; n++) {
        for (let c = 0; c < channels; c++) {
          const sc = scale[c], mg = meanG[c], kc = k[c], m = mean[c];
          for (let s = 0; s < inner; s++, i++) gx[i] = sc * (gv[i] - mg - (xs[i] - m) * kc);
        }
      }
    }
    const grads: (Tensor | null)[] = [dx];
    let j = 1;
    if (weight) grads.push(needs[j++] ? perChannel(dw, weight) : null);
    if (bias) grads.push(needs[j++] ? perChannel(sumG, bias) : null);
    return grads;
  }), weight ? [input, weight] : [input]); // weight saved too: an in-place change before backward throws

  /**
   * The backward in recorded ops, for createGraph, with x^ = (x - mean) invstd over the batch
   * statistics (training: functions of x) or the running ones (eval: constants):
   *   dx = weight invstd (g - mean(g) - x^ mean(g x^))  (training),  weight invstd g  (eval)
   *   dweight = sum(g x^),  dbias = sum(g)
   */
  function recordedGrads(g: Tensor, x: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
    const dims = x.shape.map((_, d) => d).filter((d) => d !== 1);
    const perChannelShape = x.shape.map((s, d) => (d === 1 ? s : 1));
    const constant = (v: Float64Array) => tensor(v, { shape: perChannelShape, dtype: x.dtype });
    let xhat: Tensor, invstdT: Tensor;
    if (training) {
      const centered = x.sub(x.mean(dims, true));
      invstdT = centered.mul(centered).mean(dims, true).add(eps).pow(-0.5);
      xhat = centered.mul(invstdT);
    } else {
      invstdT = constant(invstd);
      xhat = x.sub(constant(mean)).mul(invstdT);
    }
    const gamma = weight === null ? null : weight.reshape(perChannelShape);
    const sumG = g.sum(dims, true), sumGX = g.mul(xhat).sum(dims, true);
    let dx: Tensor | null = null;
    if (needs[0]) {
      const inner = training ? g.sub(sumG.div(count)).sub(xhat.mul(sumGX.div(count))) : g;
      dx = inner.mul(invstdT);
      if (gamma !== null) dx = dx.mul(gamma);
    }
    const grads: (Tensor | null)[] = [dx];
    let j = 1;
    if (weight) grads.push(needs[j++] ? sumGX.reshape(weight.shape) : null);
    if (bias) grads.push(needs[j++] ? sumG.reshape(bias.shape) : null);
    return grads;
  }
}

/** r = (1 - m) r + m v, in place, computed in double and stored in r's dtype (torch's order). */
function updateRunning(running: Tensor, values: Float64Array, momentum: number): void {
  const r = dense(running);
  const next = new Float64Array(values.length);
  for (let c = 0; c < values.length; c++) next[c] = momentum * values[c] + (1 - momentum) * r[c];
  noGrad(() => running.copy_(tensor(next, { shape: running.shape, dtype: running.dtype })));
}

/** A gradient of a per-channel parameter: the channel sums in its shape and dtype. */
function perChannel(values: Float64Array, like: Tensor): Tensor {
  return tensor(values, { shape: like.shape, dtype: like.dtype });
}
