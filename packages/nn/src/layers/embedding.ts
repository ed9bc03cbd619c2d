import { Tensor, noGrad, zeros, type Generator } from "@minigrad/tensor";
import { embedding, normalizePaddingIdx } from "../functional/embedding";
import { normal_ } from "../init";
import { Module } from "../module";
import { Parameter } from "../parameter";

/** Options of `Embedding`. */
export interface EmbeddingLayerOptions {
  /** This row starts at zero and never gets a gradient; negative counts from the end. */
  paddingIdx?: number | null;
  /** The weight's dtype; float32 by default. */
  dtype?: "float32" | "float64";
  /** Where the initial N(0, 1) values come from; the seeded default generator otherwise. */
  generator?: Generator;
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`, as torch.nn.Embedding:
 * int32 indices of any shape in, their rows out. The weight starts N(0, 1) (the padding
 * row at zero); the gradient is scattered back into the rows that were looked up.
 */
export class Embedding extends Module {
  /** The number of rows (the vocabulary size). */
  readonly numEmbeddings: number;
  /** The size of each vector. */
  readonly embeddingDim: number;
  /** The row that stays at zero and gets no gradient (made non-negative), or null. */
  readonly paddingIdx: number | null;
  /** The table, (numEmbeddings, embeddingDim). */
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingLayerOptions = {}) {
    super();
    const { paddingIdx = null, dtype = "float32", generator } = options;
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = paddingIdx === null ? null : normalizePaddingIdx(paddingIdx, numEmbeddings);
    this.weight = new Parameter(zeros([numEmbeddings, embeddingDim], { dtype }));
    normal_(this.weight, 0, 1, { generator });
    this.zeroPaddingRow();
  }

  /** An Embedding holding a copy of `weights` (num, dim), frozen unless `freeze` is false. */
  static fromPretrained(
    weights: Tensor,
    { freeze = true, paddingIdx = null }: { freeze?: boolean; paddingIdx?: number | null } = {},
  ): Embedding {
    if (weights.ndim !== 2) throw new TypeError("Embeddings parameter is expected to be 2-dimensional");
    const [num, dim] = weights.shape;
    const dtype = weights.dtype === "float64" ? "float64" : "float32";
    const layer = new Embedding(num, dim, { paddingIdx, dtype });
    noGrad(() => layer.weight.copy_(weights));
    layer.weight.requiresGrad_(!freeze);
    return layer;
  }

  private zeroPaddingRow(): void {
    if (this.paddingIdx === null) return;
    const row = this.weight.select(0, this.paddingIdx);
    noGrad(() => row.zero_());
  }

  /** The rows at int32 indices of any shape: output `[...input.shape, embeddingDim]`. */
  forward(input: Tensor): Tensor {
    return embedding(input, this.weight, { paddingIdx: this.paddingIdx });
  }

  override extraRepr(): string {
    const pad = this.paddingIdx === null ? "" : `, padding_idx=${this.paddingIdx}`;
    return `${this.numEmbeddings}, ${this.embeddingDim}${pad}`;
  }
}
