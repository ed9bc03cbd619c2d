import {
  ArgumentError, DTypeError, ShapeError, Tensor, isFloating, where, zeros, type Generator,
} from "@minigrad/tensor";
import { scaledScores } from "../functional/attention";
import { dropout as dropoutFn } from "../functional/dropout";
import { linear } from "../functional/linear";
import { constant_, xavierUniform_ } from "../init";
import { Module } from "../module";
import { Parameter } from "../parameter";
import { Linear } from "./linear";

/** Options of `MultiheadAttention` (torch's keyword arguments, camelCased). */
export interface MultiheadAttentionOptions {
  /** Dropout probability on the attention weights, in training mode (default 0). */
  dropout?: number;
  /** Learn the input and output projection biases (default true). */
  bias?: boolean;
  /** Inputs and output are (batch, seq, feature) instead of (seq, batch, feature) (default false). */
  batchFirst?: boolean;
  /** The features of the key (default embedDim); if it or vdim differs, q, k, v get separate weights. */
  kdim?: number;
  /** The features of the value (default embedDim). */
  vdim?: number;
  /** The dtype of every weight and bias; float32 by default. */
  dtype?: "float32" | "float64";
  /** Where the initial values come from (the seeded default generator otherwise). */
  generator?: Generator;
}

/** Options of `MultiheadAttention.forward` (torch's keyword arguments, camelCased). */
export interface MultiheadAttentionForwardOptions {
  /**
   * (N, S), or (S) for unbatched input: keys to ignore. A bool mask is true where the key is
   * padding (its score becomes -inf); a float mask is added to the scores.
   */
  keyPaddingMask?: Tensor | null;
  /** Also return the attention weights (default true); the second result is null otherwise. */
  needWeights?: boolean;
  /**
   * (L, S), broadcast over the batch, or (N * numHeads, L, S). A bool mask is true where a
   * query may NOT attend to a key (torch 1.13's convention, the opposite of
   * `F.scaledDotProductAttention`'s); a float mask is added to the scores.
   */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads (default true); false gives them per head. */
  averageAttnWeights?: boolean;
}

/**
 * The out-projection of `MultiheadAttention`: a `Linear` under torch's class name, so the
 * module prints as torch's (torch uses the name to keep it from being quantized on its own).
 */
export class NonDynamicallyQuantizableLinear extends Linear {}

/** torch's spelling of a shape in an f-string of a tuple: `(2, 4)`, `(6,)`. */
function tuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/**
 * Multi-head attention, as torch.nn.MultiheadAttention (torch 1.13):
 *
 *   head_i = softmax((q W_q,i^T + b_q,i)(k W_k,i^T + b_k,i)^T / sqrt(headDim) + mask) (v W_v,i^T + b_v,i)
 *   output = concat(head_1, ..., head_h) W_o^T + b_o
 *
 * with `numHeads` heads of `headDim = embedDim / numHeads` features. The parameters keep
 * torch's names, so a PyTorch state dict loads as it is: `in_proj_weight` (3 embedDim,
 * embedDim), the q, k and v projections stacked, or `q_proj_weight` (embedDim, embedDim),
 * `k_proj_weight` (embedDim, kdim) and `v_proj_weight` (embedDim, vdim) when kdim or vdim
 * differ from embedDim; `in_proj_bias` (3 embedDim) and `out_proj` (a Linear) with `bias`.
 * Initialisation is torch's: the input projections xavier-uniform, both biases zero,
 * `out_proj.weight` Linear's default.
 *
 * A composite of tensor ops (linear, matmul, where, softmax): autograd derives the backward.
 * There is no `addBiasKv` or `addZeroAttn`.
 *
 * @example
 * ```ts
 * const mha = new MultiheadAttention(16, 4, { batchFirst: true });
 * const x = randn([2, 10, 16]);                          // (batch, seq, embed)
 * const [out, weights] = mha.forward(x, x, x);           // out (2, 10, 16), weights (2, 10, 10)
 * ```
 */
export class MultiheadAttention extends Module {
  /** The features of the query and of the output. */
  readonly embedDim: number;
  /** The features of the key. */
  readonly kdim: number;
  /** The features of the value. */
  readonly vdim: number;
  /** The number of heads; each attends with embedDim / numHeads features. */
  readonly numHeads: number;
  /** Dropout probability on the attention weights (training mode only). */
  readonly dropout: number;
  /** Whether inputs and output are (batch, seq, feature). */
  readonly batchFirst: boolean;
  /** embedDim / numHeads. */
  readonly headDim: number;
  /** The q, k and v projections stacked, (3 embedDim, embedDim); null when kdim or vdim differ. */
  in_proj_weight: Parameter | null;
  /** The query projection, (embedDim, embedDim), when kdim or vdim differ from embedDim; else null. */
  q_proj_weight: Parameter | null;
  /** The key projection, (embedDim, kdim), when kdim or vdim differ from embedDim; else null. */
  k_proj_weight: Parameter | null;
  /** The value projection, (embedDim, vdim), when kdim or vdim differ from embedDim; else null. */
  v_proj_weight: Parameter | null;
  /** The q, k and v projection biases stacked, (3 embedDim); null without bias. */
  in_proj_bias: Parameter | null;
  /** The output projection, embedDim to embedDim. */
  out_proj: NonDynamicallyQuantizableLinear;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const { dropout = 0, bias = true, batchFirst = false, dtype = "float32", generator } = options;
    this.embedDim = embedDim;
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    this.numHeads = numHeads;
    this.dropout = dropout;
    this.batchFirst = batchFirst;
    this.headDim = Math.floor(embedDim / numHeads);
    if (!(this.headDim * numHeads === embedDim)) throw new ArgumentError("embed_dim must be divisible by num_heads");
    const separate = !this.sameEmbedDim;
    this.in_proj_weight = separate ? null : new Parameter(zeros([3 * embedDim, embedDim], { dtype }));
    this.q_proj_weight = separate ? new Parameter(zeros([embedDim, embedDim], { dtype })) : null;
    this.k_proj_weight = separate ? new Parameter(zeros([embedDim, this.kdim], { dtype })) : null;
    this.v_proj_weight = separate ? new Parameter(zeros([embedDim, this.vdim], { dtype })) : null;
    this.in_proj_bias = bias ? new Parameter(zeros([3 * embedDim], { dtype })) : null;
    this.out_proj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, { bias, dtype, generator });
    this.resetParameters(generator);
  }

  /** Whether query, key and value have embedDim features (one stacked in_proj_weight). */
  get sameEmbedDim(): boolean {
    return this.kdim === this.embedDim && this.vdim === this.embedDim;
  }

  /**
   * torch's `_reset_parameters`: the input projections xavier-uniform, in_proj_bias and
   * out_proj.bias zero (out_proj.weight keeps Linear's initialisation).
   */
  resetParameters(generator?: Generator): void {
    for (const w of [this.in_proj_weight, this.q_proj_weight, this.k_proj_weight, this.v_proj_weight]) {
      if (w !== null) xavierUniform_(w, 1, { generator });
    }
    if (this.in_proj_bias !== null) {
      constant_(this.in_proj_bias, 0);
      if (this.out_proj.bias !== null) constant_(this.out_proj.bias, 0);
    }
  }

  /**
   * Attend from `query` (L, N, embedDim) to `key` (S, N, kdim) and `value` (S, N, vdim)
   * ((N, L, E) and so on with `batchFirst`; (L, E), (S, kdim), (S, vdim) unbatched). Returns
   * `[output, weights]`: output of the query's shape, and the attention weights (N, L, S)
   * averaged over heads, (N, numHeads, L, S) with `averageAttnWeights: false` ((L, S) or
   * (numHeads, L, S) unbatched), or null with `needWeights: false`. The weights returned are
   * the ones that multiplied the values, after dropout.
   */
  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const { keyPaddingMask = null, needWeights = true, attnMask = null, averageAttnWeights = true } = options;
    const batched = query.ndim === 3;
    if (keyPaddingMask !== null) checkKeyPaddingMaskDtype(keyPaddingMask);
    let [q, k, v] = [query, key, value];
    if (this.batchFirst && batched) {
      // keep `key === value` (and `query === key`): the packed projection takes one product for them
      q = query.transpose(1, 0);
      k = key === query ? q : key.transpose(1, 0);
      v = value === key ? k : value.transpose(1, 0);
    }
    const [out, weights] = this.attend(q, k, v, keyPaddingMask, attnMask, needWeights, averageAttnWeights);
    return [this.batchFirst && batched ? out.transpose(1, 0) : out, weights];
  }

  /** torch's multi_head_attention_forward, on (seq, batch, feature) or unbatched inputs. */
  private attend(
    query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: Tensor | null, attnMask: Tensor | null,
    needWeights: boolean, averageAttnWeights: boolean,
  ): [Tensor, Tensor | null] {
    const H = this.numHeads, hd = this.headDim;
    const batched = shapeCheck(query, key, value, keyPaddingMask, attnMask, H);
    if (!batched) {
      // pretend to be a batch of one, keeping `key === value` and `query === key`
      const q1 = query.unsqueeze(1);
      const k1 = key === query ? q1 : key.unsqueeze(1);
      value = value === key ? k1 : value.unsqueeze(1);
      [query, key] = [q1, k1];
      if (keyPaddingMask !== null) keyPaddingMask = keyPaddingMask.unsqueeze(0);
    }
    const [tgtLen, bsz, embedDim] = query.shape;
    const srcLen = key.shape[0];
    if (embedDim !== this.embedDim) {
      throw new ShapeError(`was expecting embedding dimension of ${this.embedDim}, but got ${embedDim}`);
    }
    const [q0, k0, v0] = this.project(query, key, value);

    // the attention mask, as (1 or N * H, L, S)
    let mask: Tensor | null = null;
    if (attnMask !== null) {
      if (attnMask.dtype !== "bool" && !isFloating(attnMask.dtype)) {
        throw new DTypeError(`Only float, byte, and bool types are supported for attn_mask, not ${attnMask.dtype}`);
      }
      if (attnMask.ndim === 2) {
        if (!sameShape(attnMask.shape, [tgtLen, srcLen])) {
          throw new ShapeError(`The shape of the 2D attn_mask is ${fmt(attnMask.shape)}, but should be ${tuple([tgtLen, srcLen])}.`);
        }
        mask = attnMask.unsqueeze(0);
      } else if (attnMask.ndim === 3) {
        if (!sameShape(attnMask.shape, [bsz * H, tgtLen, srcLen])) {
          throw new ShapeError(
            `The shape of the 3D attn_mask is ${fmt(attnMask.shape)}, but should be ${tuple([bsz * H, tgtLen, srcLen])}.`,
          );
        }
        mask = attnMask;
      } else {
        throw new ShapeError(`attn_mask's dimension ${attnMask.ndim} is not supported`);
      }
    }

    // heads become batches: (L, N, E) -> (N * H, L, headDim)
    const q = q0.reshape([tgtLen, bsz * H, hd]).transpose(0, 1);
    const k = k0.reshape([k0.shape[0], bsz * H, hd]).transpose(0, 1);
    const v = v0.reshape([v0.shape[0], bsz * H, hd]).transpose(0, 1);

    // merge the key padding mask in, and make the mask float: -inf where a key is masked out
    const dtype = q.dtype;
    const asFloat = (m: Tensor) => (m.dtype === dtype ? m : m.to(dtype));
    if (mask !== null) mask = mask.dtype === "bool" ? where(mask, -Infinity, zeros([], { dtype })) : asFloat(mask);
    if (keyPaddingMask !== null) {
      if (!sameShape(keyPaddingMask.shape, [bsz, srcLen])) {
        throw new ShapeError(`expecting key_padding_mask shape of ${tuple([bsz, srcLen])}, but got ${fmt(keyPaddingMask.shape)}`);
      }
      const kpm = keyPaddingMask.reshape([bsz, 1, 1, srcLen]).expand([bsz, H, 1, srcLen]).reshape([bsz * H, 1, srcLen]);
      if (kpm.dtype === "bool") mask = where(kpm, -Infinity, mask ?? zeros([], { dtype }));
      else mask = mask === null ? asFloat(kpm) : mask.add(asFloat(kpm)); // torch 2.0's sum; see the README
    }

    let weights = scaledScores(q, k);
    if (mask !== null) weights = weights.add(mask);
    weights = weights.softmax(-1);
    if (this.training && this.dropout > 0) weights = dropoutFn(weights, { p: this.dropout, training: true });
    let out = weights.matmul(v); // (N * H, L, headDim)
    out = out.transpose(0, 1).reshape([tgtLen * bsz, embedDim]);
    out = linear(out, this.out_proj.weight, this.out_proj.bias).reshape([tgtLen, bsz, embedDim]);
    if (!needWeights) return [batched ? out : out.squeeze(1), null];
    weights = weights.reshape([bsz, H, tgtLen, srcLen]);
    if (averageAttnWeights) weights = weights.sum(1).div(H);
    return batched ? [out, weights] : [out.squeeze(1), weights.squeeze(0)];
  }

  /** The in-projections q W_q^T + b_q, k W_k^T + b_k, v W_v^T + b_v (torch's _in_projection_packed / _in_projection). */
  private project(query: Tensor, key: Tensor, value: Tensor): [Tensor, Tensor, Tensor] {
    const E = this.embedDim;
    const b = this.in_proj_bias;
    const bias = (i: number, n = 1) => (b === null ? null : b.narrow(0, i * E, n * E));
    const w = this.in_proj_weight;
    if (w !== null) {
      if (!sameShape(key.shape, value.shape)) {
        throw new ShapeError(`key shape ${fmt(key.shape)} does not match value shape ${fmt(value.shape)}`);
      }
      const split = (t: Tensor, n: number) => Array.from({ length: n }, (_, i) => t.narrow(-1, i * E, E));
      if (key === value) {
        if (query === key) {
          const [q, k, v] = split(linear(query, w, b), 3); // self-attention: one product
          return [q, k, v];
        }
        const [k, v] = split(linear(key, w.narrow(0, E, 2 * E), bias(1, 2)), 2);
        return [linear(query, w.narrow(0, 0, E), bias(0)), k, v];
      }
      return [0, 1, 2].map((i) => linear([query, key, value][i], w.narrow(0, i * E, E), bias(i))) as [Tensor, Tensor, Tensor];
    }
    if (!sameShape(key.shape.slice(0, 2), value.shape.slice(0, 2))) {
      throw new ShapeError(
        `key's sequence and batch dims ${fmt(key.shape.slice(0, 2))} do not match value's ${fmt(value.shape.slice(0, 2))}`,
      );
    }
    const inputs = [query, key, value];
    const weights = [this.q_proj_weight, this.k_proj_weight, this.v_proj_weight] as Parameter[];
    const names = ["query", "key", "value"];
    const Eq = query.shape[query.ndim - 1];
    weights.forEach((wi, i) => {
      const want = [Eq, inputs[i].shape[inputs[i].ndim - 1]];
      if (!sameShape(wi.shape, want)) {
        throw new ShapeError(`expecting ${names[i]} weights shape of ${tuple(want)}, but got ${fmt(wi.shape)}`);
      }
    });
    return [0, 1, 2].map((i) => linear(inputs[i], weights[i], bias(i))) as [Tensor, Tensor, Tensor];
  }
}

/** torch's check of a key padding mask's dtype (MultiheadAttention and TransformerEncoderLayer). */
export function checkKeyPaddingMaskDtype(mask: Tensor): void {
  if (!(mask instanceof Tensor)) throw new TypeError("expected key_padding_mask to be a Tensor");
  if (mask.dtype !== "bool" && !isFloating(mask.dtype)) {
    throw new DTypeError("only bool and floating types of key_padding_mask are supported");
  }
}

/** torch's _mha_shape_check: the ranks of the inputs and masks; returns whether the input is batched. */
function shapeCheck(
  query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: Tensor | null, attnMask: Tensor | null, numHeads: number,
): boolean {
  for (const [name, t] of [["query", query], ["key", key], ["value", value]] as const) {
    if (!(t instanceof Tensor)) throw new TypeError(`MultiheadAttention: expected ${name} to be a Tensor`);
  }
  if (attnMask !== null && !(attnMask instanceof Tensor)) throw new TypeError("MultiheadAttention: expected attnMask to be a Tensor");
  if (query.ndim === 3 || query.ndim === 2) {
    const batched = query.ndim === 3;
    const d = batched ? 3 : 2;
    const which = batched ? "batched (3-D)" : "unbatched (2-D)";
    if (key.ndim !== d || value.ndim !== d) {
      throw new ShapeError(
        `For ${which} \`query\`, expected \`key\` and \`value\` to be ${d}-D but found ${key.ndim}-D and ` +
          `${value.ndim}-D tensors respectively`,
      );
    }
    if (keyPaddingMask !== null && keyPaddingMask.ndim !== d - 1) {
      throw new ShapeError(
        `For ${which} \`query\`, expected \`key_padding_mask\` to be \`None\` or ${d - 1}-D but found ` +
          `${keyPaddingMask.ndim}-D tensor instead`,
      );
    }
    if (attnMask !== null && attnMask.ndim !== 2 && attnMask.ndim !== 3) {
      throw new ShapeError(
        `For ${which} \`query\`, expected \`attn_mask\` to be \`None\`, 2-D or 3-D but found ${attnMask.ndim}-D tensor instead`,
      );
    }
    if (!batched && attnMask !== null && attnMask.ndim === 3) {
      const want = [numHeads, query.shape[0], key.shape[0]];
      if (!sameShape(attnMask.shape, want)) {
        throw new ShapeError(`Expected \`attn_mask\` shape to be ${tuple(want)} but got ${fmt(attnMask.shape)}`);
      }
    }
    return batched;
  }
  throw new ShapeError(`query should be unbatched 2D or batched 3D tensor but received ${query.ndim}-D query tensor`);
}
