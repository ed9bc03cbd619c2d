import { ArgumentError, DTypeError, ShapeError, Tensor, isGradEnabled, record, twice, type FloatArray } from "@minigrad/tensor";
import { checkFloating, dense, fmtShape } from "./util";

/** Options of `embedding`. */
export interface EmbeddingOptions {
  /** Rows looked up with this index get no gradient (a padding token's vector stays fixed). */
  paddingIdx?: number | null;
}

/**
 * Look up rows of `weight` (num, dim) by int32 indices of any shape; the output has shape
 * [...input.shape, dim]. Backward scatters the gradient rows back into a zero gradient of
 * the weight's shape, adding up rows whose index repeats:
 *   dW[i] = sum of dY[k] over the positions k where input[k] = i (except i = paddingIdx)
 */
export function embedding(input: Tensor, weight: Tensor, { paddingIdx = null }: EmbeddingOptions = {}): Tensor {
  const op = "embedding";
  if (!(input instanceof Tensor) || input.dtype !== "int32") {
    throw new DTypeError(`${op}: expected int32 indices as input, got ${input instanceof Tensor ? input.dtype : typeof input}`);
  }
  checkFloating(op, "weight", weight);
  if (weight.ndim !== 2) throw new ShapeError(`${op}: 'weight' must be 2-D, got shape ${fmtShape(weight.shape)}`);
  const [num, dim] = weight.shape;
  const pad = paddingIdx === null ? -1 : normalizePaddingIdx(paddingIdx, num);
  const indices = dense(input);
  for (let k = 0; k < indices.length; k++) {
    if (indices[k] < 0 || indices[k] >= num) {
      throw new ArgumentError(`${op}: index out of range in self (index ${indices[k]}, num_embeddings ${num})`);
    }
  }
  const out = Tensor.empty([...input.shape, dim], weight.dtype);
  const o = out._data;
  const w = dense(weight);
  for (let k = 0; k < indices.length; k++) o.set(w.subarray(indices[k] * dim, (indices[k] + 1) * dim), k * dim);
  const { shape, dtype } = weight;
  return record(out, "EmbeddingBackward", [weight], twice((g, [input]) => {
    if (isGradEnabled()) return [recordedGrad(g, dense(input))]; // createGraph: in recorded ops
    const grad = Tensor.empty(shape, dtype);
    const gw = grad._data as FloatArray;
    const gv = dense(g);
    const idx = dense(input);
    for (let k = 0; k < idx.length; k++) {
      const row = idx[k];
      if (row === pad) continue;
      for (let j = 0, src = k * dim, dst = row * dim; j < dim; j++) gw[dst + j] += gv[src + j];
    }
    return [grad];
  }), [input]);

  /**
   * The backward in recorded ops, for createGraph: onehot^T @ g, onehot the constant
   * (indices x num) matrix of the looked-up rows (none for padding), so the result depends
   * on g through a product (a (indices x num) matrix: createGraph only).
   */
  function recordedGrad(g: Tensor, idx: ArrayLike<number>): Tensor {
    const onehot = Tensor.empty([idx.length, num], dtype);
    const o = onehot._data as FloatArray;
    for (let k = 0; k < idx.length; k++) if (idx[k] !== pad) o[k * num + idx[k]] = 1;
    return onehot.T.matmul(g.reshape([idx.length, dim]));
  }
}

/** torch's padding_idx: negative counts from the end; must name a row. */
export function normalizePaddingIdx(paddingIdx: number, num: number): number {
  if (!Number.isInteger(paddingIdx) || paddingIdx >= num || paddingIdx < -num) {
    throw new ArgumentError(`Padding_idx must be within num_embeddings (got ${paddingIdx} for ${num} embeddings)`);
  }
  return paddingIdx < 0 ? paddingIdx + num : paddingIdx;
}
