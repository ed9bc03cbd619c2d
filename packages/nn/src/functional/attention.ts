import { ArgumentError, DTypeError, ShapeError, Tensor, arange, isFloating, where, type Generator } from "@minigrad/tensor";
import { dropout } from "./dropout";
import { checkFloating, fmtShape } from "./util";

/** Options of `scaledDotProductAttention` (torch 2.0's keyword arguments, camelCased). */
export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcastable to (..., L, S). A bool mask is true where a query may attend to a key (the
   * position takes part) and false where it may not; a float mask is added to the scores.
   */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights (default 0); applied whenever it is > 0, as torch. */
  dropoutP?: number;
  /** Mask out every key after the query's own position: the lower-triangular mask of (L, S). Default false. */
  isCausal?: boolean;
  /** Where the dropout mask is drawn from (the seeded default generator otherwise). */
  generator?: Generator;
}

/**
 * Attention, as torch 2.0's F.scaled_dot_product_attention:
 *
 *   softmax(q k^T / sqrt(E) + mask) v
 *
 * for query (..., L, E), key (..., S, E) and value (..., S, Ev), giving (..., L, Ev); the
 * leading dims broadcast as in `matmul`. A bool `attnMask` keeps the scores where it is true
 * and sets the others to -inf (so a query whose keys are all masked gets NaN weights, as in
 * torch); a float mask is added; `isCausal` is the bool mask `j <= i`. Dropout with
 * probability `dropoutP` is applied to the weights before they multiply v.
 *
 * A composite of tensor ops (matmul, where, softmax): autograd derives the backward, also
 * with respect to a float mask that requires grad. q is scaled before the product, as in
 * torch 1.13's MultiheadAttention.
 *
 * @example
 * ```ts
 * const q = randn([2, 4, 8, 16]), k = randn([2, 4, 10, 16]), v = randn([2, 4, 10, 16]);
 * F.scaledDotProductAttention(q, k, v).shape;                    // [2, 4, 8, 16]
 * F.scaledDotProductAttention(q, q, q, { isCausal: true });      // each position sees itself and the past
 * ```
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: ScaledDotProductAttentionOptions = {},
): Tensor {
  const { attnMask = null, dropoutP = 0, isCausal = false, generator } = options;
  const op = "scaledDotProductAttention";
  for (const [name, t] of [["query", query], ["key", key], ["value", value]] as const) {
    checkFloating(op, name, t);
    if (t.ndim < 2) throw new ShapeError(`${op}: expected ${name} to have at least 2 dimensions, got ${fmtShape(t.shape)}`);
  }
  if (isCausal && attnMask !== null) {
    throw new ArgumentError(`${op}: Explicit attnMask should not be set when isCausal=true`);
  }
  const L = query.shape[query.ndim - 2], S = key.shape[key.ndim - 2];
  const mask = isCausal ? causalMask(L, S) : attnMask;
  let scores = scaledScores(query, key);
  if (mask !== null) {
    if (!(mask instanceof Tensor)) throw new TypeError(`${op}: expected attnMask to be a Tensor`);
    if (mask.dtype === "bool") scores = where(mask, scores, -Infinity);
    else if (isFloating(mask.dtype)) scores = scores.add(mask.dtype === scores.dtype ? mask : mask.to(scores.dtype));
    else throw new DTypeError(`${op}: expected attnMask to be a bool or floating point tensor, got ${mask.dtype}`);
  }
  let weights = scores.softmax(-1);
  if (dropoutP !== 0) weights = dropout(weights, { p: dropoutP, training: true, generator });
  return weights.matmul(value);
}

/** The bool mask of (L, S) that is true where key j <= query i (torch's `ones(L, S).tril()`). */
export function causalMask(L: number, S: number): Tensor {
  return arange(L).unsqueeze(1).ge(arange(S).unsqueeze(0));
}

/**
 * (q / sqrt(E)) k^T for q (..., L, E) and k (..., S, E): the attention scores before any
 * mask. q is scaled before the product, as torch 1.13's multi_head_attention_forward does.
 * @internal
 */
export function scaledScores(query: Tensor, key: Tensor): Tensor {
  const E = query.shape[query.ndim - 1];
  return query.div(Math.sqrt(E)).matmul(key.transpose(-2, -1));
}
