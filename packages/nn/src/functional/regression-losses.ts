import { ArgumentError, ShapeError, Tensor, isGradEnabled, record, twice, where, type FloatArray } from "@minigrad/tensor";
import { checkFloating, checkReduction, dense, fmtShape, reduce, type Reduction } from "./util";

/**
 * More of torch's losses: L1, smooth L1, Huber and KL divergence as composites of tensor
 * ops (autograd derives their backward, for the target too); binary cross entropy as one
 * primitive, so its clamped logs keep torch's finite gradient at 0 and 1.
 */

/** Options of `l1Loss`. */
export interface L1LossOptions {
  /** How the per-element losses combine: "mean" (default), "sum" or "none". */
  reduction?: Reduction;
}

/** |input - target|, reduced, as F.l1_loss; d/dinput = sign(input - target) (0 where equal). */
export function l1Loss(input: Tensor, target: Tensor, { reduction = "mean" }: L1LossOptions = {}): Tensor {
  checkFloating("l1Loss", "input", input);
  return reduce(input.sub(target).abs(), checkReduction(reduction));
}

/** Options of `smoothL1Loss`. */
export interface SmoothL1LossOptions {
  /** How the per-element losses combine: "mean" (default), "sum" or "none". */
  reduction?: Reduction;
  /** Where the loss turns from quadratic to linear (1); 0 gives the L1 loss. */
  beta?: number;
}

/**
 * Smooth L1, as F.smooth_l1_loss: with d = input - target,
 *   loss = 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta.
 */
export function smoothL1Loss(
  input: Tensor,
  target: Tensor,
  { reduction = "mean", beta = 1 }: SmoothL1LossOptions = {},
): Tensor {
  checkFloating("smoothL1Loss", "input", input);
  const r = checkReduction(reduction);
  if (!(beta >= 0)) throw new ArgumentError("smooth_l1_loss does not support negative values for beta.");
  if (beta === 0) return l1Loss(input, target, { reduction: r });
  const d = input.sub(target);
  const a = d.abs();
  return reduce(where(a.lt(beta), d.mul(d).mul(0.5 / beta), a.sub(0.5 * beta)), r);
}

/** Options of `huberLoss`. */
export interface HuberLossOptions {
  /** How the per-element losses combine: "mean" (default), "sum" or "none". */
  reduction?: Reduction;
  /** Where the loss turns from quadratic to linear (1); must be positive. */
  delta?: number;
}

/**
 * Huber, as F.huber_loss: with d = input - target,
 *   loss = 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)
 * (smooth L1 times beta, with beta = delta).
 */
export function huberLoss(input: Tensor, target: Tensor, { reduction = "mean", delta = 1 }: HuberLossOptions = {}): Tensor {
  checkFloating("huberLoss", "input", input);
  const r = checkReduction(reduction);
  if (!(delta > 0)) throw new ArgumentError("huber_loss does not support non-positive values for delta.");
  const d = input.sub(target);
  const a = d.abs();
  return reduce(where(a.lt(delta), d.mul(d).mul(0.5), a.sub(0.5 * delta).mul(delta)), r);
}

/** How `klDiv` combines its per-element values: a `Reduction` or "batchmean" (the sum over the batch size). */
export type KLDivReduction = Reduction | "batchmean";

/** Options of `klDiv`. */
export interface KLDivOptions {
  /** "mean" (default: over every element, as torch), "batchmean" (the mathematically right one), "sum", "none". */
  reduction?: KLDivReduction;
  /** The target holds log-probabilities (false: probabilities). */
  logTarget?: boolean;
}

/**
 * The Kullback-Leibler divergence of `target` from `input` (log-probabilities), as
 * F.kl_div: per element t (log t - x), with 0 where t = 0 (torch's xlogy), or
 * e^t (t - x) with `logTarget`. "batchmean" divides the sum by input.shape[0].
 */
export function klDiv(input: Tensor, target: Tensor, { reduction = "mean", logTarget = false }: KLDivOptions = {}): Tensor {
  checkFloating("klDiv", "input", input);
  checkFloating("klDiv", "target", target);
  const batchmean = reduction === "batchmean";
  const r = batchmean ? "sum" : checkReduction(reduction);
  const loss = logTarget
    ? target.exp().mul(target.sub(input))
    : klTerms(input, target);
  const out = reduce(loss, r);
  return batchmean && input.ndim > 0 ? out.div(input.shape[0]) : out;
}

/**
 * xlogy(t, t) - t x, as torch: t log t is 0 where t = 0 (where() keeps the NaN of 0 log 0
 * out of the value), while the target's gradient there is NaN, as torch 1.13's xlogy gives.
 */
function klTerms(input: Tensor, target: Tensor): Tensor {
  return where(target.eq(0), 0, target.mul(target.log())).sub(target.mul(input));
}

/** Options of `binaryCrossEntropy`. */
export interface BinaryCrossEntropyOptions {
  /** A rescaling of each element's loss, broadcast against the input; none by default. */
  weight?: Tensor | null;
  /** How the per-element losses combine: "mean" (default), "sum" or "none". */
  reduction?: Reduction;
}

/**
 * Binary cross entropy of probabilities, as F.binary_cross_entropy, with torch's clamp of
 * each log at -100:
 *   loss = -w (t max(log x, -100) + (1 - t) max(log(1 - x), -100))
 *   d/dx = w (x - t) / max(x (1 - x), 1e-12),   d/dt = w (max(log(1 - x), -100) - max(log x, -100))
 */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  { weight = null, reduction = "mean" }: BinaryCrossEntropyOptions = {},
): Tensor {
  const op = "binaryCrossEntropy";
  checkFloating(op, "input", input);
  checkFloating(op, "target", target);
  const r = checkReduction(reduction);
  if (target.ndim !== input.ndim || target.shape.some((s, i) => s !== input.shape[i])) {
    throw new ShapeError(
      `Using a target size (${fmtShape(target.shape)}) that is different to the input size ` +
        `(${fmtShape(input.shape)}) is deprecated. Please ensure they have the same size.`,
    );
  }
  const x = dense(input);
  for (let i = 0; i < x.length; i++) {
    if (!(x[i] >= 0 && x[i] <= 1)) throw new ArgumentError("all elements of input should be between 0 and 1");
  }
  const t = dense(target);
  const w = weight === null ? null : dense(weight.expand(input.shape).contiguous());
  const n = x.length;
  const losses = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const l = -(t[i] * Math.max(Math.log(x[i]), -100) + (1 - t[i]) * Math.max(Math.log1p(-x[i]), -100));
    losses[i] = w ? w[i] * l : l;
    total += losses[i];
  }
  const out = Tensor.empty(r === "none" ? input.shape : [], input.dtype);
  if (r === "none") out._data.set(losses);
  else out._data[0] = r === "mean" ? total / n : total;
  return record(out, "BinaryCrossEntropyBackward", [input, target], twice((g, [input, target], needs) => {
    if (isGradEnabled()) {
      // createGraph: the same derivatives in recorded ops (torch's clamps: x (1 - x) >= 1e-12, logs >= -100)
      const scaleT = (r === "none" ? g : r === "mean" ? g.div(n) : g.expand(input.shape)).mul(weight === null ? 1 : weight.expand(input.shape));
      const dx = needs[0] ? scaleT.mul(input.sub(target)).div(input.mul(input.neg().add(1)).clamp(1e-12)) : null;
      const dt = needs[1] ? scaleT.mul(input.neg().add(1).log().clamp(-100).sub(input.log().clamp(-100))) : null;
      return [dx, dt];
    }
    const xs = dense(input);
    const ts = dense(target);
    const gv = dense(g);
    const gx = needs[0] ? Tensor.empty(input.shape, input.dtype) : null;
    const gt = needs[1] ? Tensor.empty(target.shape, target.dtype) : null;
    const gxs = gx?._data as FloatArray | undefined;
    const gts = gt?._data as FloatArray | undefined;
    for (let i = 0; i < n; i++) {
      const scale = (r === "none" ? gv[i] : r === "mean" ? gv[0] / n : gv[0]) * (w ? w[i] : 1);
      if (gxs) gxs[i] = (scale * (xs[i] - ts[i])) / Math.max(xs[i] * (1 - xs[i]), 1e-12);
      if (gts) gts[i] = scale * (Math.max(Math.log1p(-xs[i]), -100) - Math.max(Math.log(xs[i]), -100));
    }
    return [gx, gt];
  }), [input, target]);
}
