import { ArgumentError, type Generator, type Tensor } from "@minigrad/tensor";
import { gelu, relu } from "../functional/activations";
import { Module } from "../module";
import { Dropout } from "./dropout";
import { LayerNorm } from "./layer-norm";
import { Linear } from "./linear";
import { MultiheadAttention, checkKeyPaddingMaskDtype } from "./multihead-attention";

/** The feed-forward activation of a `TransformerEncoderLayer`: torch's names, or any function. */
export type TransformerActivation = "relu" | "gelu" | ((x: Tensor) => Tensor);

/** Options of `TransformerEncoderLayer` (torch's keyword arguments, camelCased). */
export interface TransformerEncoderLayerOptions {
  /** The hidden size of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout probability after attention, inside and after the feed-forward block, and on the attention weights (0.1). */
  dropout?: number;
  /** The feed-forward activation: "relu" (the default), "gelu" (exact) or a function. */
  activation?: TransformerActivation;
  /** The layer norms' eps (1e-5). */
  layerNormEps?: number;
  /** Input and output are (batch, seq, feature) instead of (seq, batch, feature) (default false). */
  batchFirst?: boolean;
  /** Normalise before attention and feed-forward (pre-norm) instead of after (default false). */
  normFirst?: boolean;
  /** The dtype of every weight and bias; float32 by default. */
  dtype?: "float32" | "float64";
  /** Where the initial values come from (the seeded default generator otherwise). */
  generator?: Generator;
}

/** Options of `TransformerEncoderLayer.forward`. */
export interface TransformerEncoderLayerForwardOptions {
  /** The attention mask, (S, S) or (N * nhead, S, S): `MultiheadAttention`'s `attnMask` (bool: true is masked out). */
  srcMask?: Tensor | null;
  /** (N, S) or (S): keys to ignore (bool: true is padding; float: added), `MultiheadAttention`'s `keyPaddingMask`. */
  srcKeyPaddingMask?: Tensor | null;
}

function activationFn(activation: TransformerActivation): (x: Tensor) => Tensor {
  if (typeof activation === "function") return activation;
  if (activation === "relu") return relu;
  if (activation === "gelu") return (x) => gelu(x);
  throw new ArgumentError(`activation should be relu/gelu, not ${String(activation)}`);
}

/**
 * One encoder layer of a transformer, as torch.nn.TransformerEncoderLayer (torch 1.13):
 * self-attention then a feed-forward block (linear1, activation, dropout, linear2), each
 * with dropout and a residual connection, and a layer norm after each (post-norm, the
 * default) or before each (`normFirst`):
 *
 *   post-norm: x = norm1(x + sa(x));        x = norm2(x + ff(x))
 *   pre-norm:  x = x + sa(norm1(x));        x = x + ff(norm2(x))
 *
 * Submodules keep torch's names (`self_attn`, `linear1`, `dropout`, `linear2`, `norm1`,
 * `norm2`, `dropout1`, `dropout2`), so a PyTorch state dict loads as it is. Call `eval()` to
 * turn the dropouts off.
 *
 * @example
 * ```ts
 * const layer = new TransformerEncoderLayer(32, 4, { dimFeedforward: 64, batchFirst: true });
 * const x = randn([2, 10, 32]);
 * layer.forward(x, { srcMask: causal }).shape;    // [2, 10, 32]
 * ```
 */
export class TransformerEncoderLayer extends Module {
  /** The self-attention block (dropout on its weights as the layer's). */
  self_attn: MultiheadAttention;
  /** The first feed-forward projection, dModel to dimFeedforward. */
  linear1: Linear;
  /** The dropout between the feed-forward projections. */
  dropout: Dropout;
  /** The second feed-forward projection, dimFeedforward to dModel. */
  linear2: Linear;
  /** Whether the norms come before the blocks (pre-norm). */
  readonly normFirst: boolean;
  /** The norm of the attention block (after it, or before it with normFirst). */
  norm1: LayerNorm;
  /** The norm of the feed-forward block. */
  norm2: LayerNorm;
  /** The dropout after self-attention. */
  dropout1: Dropout;
  /** The dropout after the feed-forward block. */
  dropout2: Dropout;
  /** The feed-forward activation. */
  readonly activation: (x: Tensor) => Tensor;

  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    const {
      dimFeedforward = 2048, dropout = 0.1, activation = "relu", layerNormEps = 1e-5, batchFirst = false,
      normFirst = false, dtype = "float32", generator,
    } = options;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout, batchFirst, dtype, generator });
    this.linear1 = new Linear(dModel, dimFeedforward, { dtype, generator });
    this.dropout = new Dropout(dropout);
    this.linear2 = new Linear(dimFeedforward, dModel, { dtype, generator });
    this.normFirst = normFirst;
    this.norm1 = new LayerNorm(dModel, { eps: layerNormEps, dtype });
    this.norm2 = new LayerNorm(dModel, { eps: layerNormEps, dtype });
    this.dropout1 = new Dropout(dropout);
    this.dropout2 = new Dropout(dropout);
    this.activation = activationFn(activation);
  }

  /**
   * The layer on `src` (S, N, dModel), (N, S, dModel) with batchFirst, or (S, dModel)
   * unbatched; the output has the input's shape.
   */
  forward(src: Tensor, { srcMask = null, srcKeyPaddingMask = null }: TransformerEncoderLayerForwardOptions = {}): Tensor {
    if (srcKeyPaddingMask !== null) checkKeyPaddingMaskDtype(srcKeyPaddingMask);
    let x = src;
    if (this.normFirst) {
      x = x.add(this.saBlock(this.norm1.forward(x), srcMask, srcKeyPaddingMask));
      x = x.add(this.ffBlock(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(x.add(this.saBlock(x, srcMask, srcKeyPaddingMask)));
      x = this.norm2.forward(x.add(this.ffBlock(x)));
    }
    return x;
  }

  /** Self-attention, then dropout1. */
  private saBlock(x: Tensor, attnMask: Tensor | null, keyPaddingMask: Tensor | null): Tensor {
    const [out] = this.self_attn.forward(x, x, x, { attnMask, keyPaddingMask, needWeights: false });
    return this.dropout1.forward(out);
  }

  /** linear2(dropout(activation(linear1(x)))), then dropout2. */
  private ffBlock(x: Tensor): Tensor {
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.activation(this.linear1.forward(x)))));
  }
}
