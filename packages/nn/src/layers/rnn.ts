import {
  ArgumentError, DTypeError, ShapeError, Tensor, cat, recurrentLayer, stack, zeros,
  type Generator, type RecurrentMode,
} from "@minigrad/tensor";
import { pyBool, pyFloat, pyTuple } from "../format";
import { dropout as dropoutFn } from "../functional/dropout";
import { linear } from "../functional/linear";
import { uniform_ } from "../init";
import { Module } from "../module";
import { Parameter } from "../parameter";

/** Options of `RNN`, `LSTM` and `GRU` (torch's keyword arguments, camelCased). */
export interface RNNBaseOptions {
  /** Recurrent layers stacked on each other (default 1); layer k > 0 reads layer k-1's output. */
  numLayers?: number;
  /** Learn the biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are (batch, seq, feature) instead of (seq, batch, feature) (default false). */
  batchFirst?: boolean;
  /** Dropout probability on the output of every layer but the last, in training mode (default 0). */
  dropout?: number;
  /** Run a second layer over the reversed sequence and concatenate the two outputs (default false). */
  bidirectional?: boolean;
  /** The dtype of every weight and bias; float32 by default. */
  dtype?: "float32" | "float64";
  /** Where the initial values come from (the seeded default generator otherwise). */
  generator?: Generator;
}

/** Options of `RNN`: those of every recurrent layer plus the nonlinearity. */
export interface RNNOptions extends RNNBaseOptions {
  /** h' = tanh(...) (the default) or relu(...). */
  nonlinearity?: "tanh" | "relu";
}

/** The weights of one layer and direction, in torch's order. */
interface LayerWeights { wIh: Parameter; wHh: Parameter; bIh: Parameter | null; bHh: Parameter | null }

const GATES: Record<RecurrentMode, number> = { LSTM: 4, GRU: 3, RNN_TANH: 1, RNN_RELU: 1 };
const NAMES: Record<RecurrentMode, string> = { LSTM: "LSTM", GRU: "GRU", RNN_TANH: "RNN", RNN_RELU: "RNN" };

/**
 * What `RNN`, `LSTM` and `GRU` share, as torch.nn.RNNBase: the parameters, registered under
 * torch's own names (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, then the
 * `_reverse` ones of a bidirectional layer, layer by layer), so a PyTorch state dict loads
 * as it is; torch's initialisation, U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)) for every
 * weight and bias; the input and hidden-state checks, with torch's messages; and the loop over
 * layers and directions. Each layer projects the whole input sequence at once
 * (x W_ih^T + b_ih, one matmul), then runs the recurrence as one op (`recurrentLayer`).
 */
export abstract class RNNBase extends Module {
  /** torch's mode name: `LSTM`, `GRU`, `RNN_TANH` or `RNN_RELU`. */
  readonly mode: RecurrentMode;
  /** The number of features of each input step. */
  readonly inputSize: number;
  /** The number of features of the hidden state. */
  readonly hiddenSize: number;
  /** Stacked layers. */
  readonly numLayers: number;
  /** Whether the layers have biases. */
  readonly bias: boolean;
  /** Whether input and output are (batch, seq, feature). */
  readonly batchFirst: boolean;
  /** Dropout probability between layers (training mode only). */
  readonly dropout: number;
  /** Whether each layer also runs over the reversed sequence. */
  readonly bidirectional: boolean;

  constructor(mode: RecurrentMode, inputSize: number, hiddenSize: number, options: RNNBaseOptions = {}) {
    super();
    const { numLayers = 1, bias = true, batchFirst = false, dropout = 0, bidirectional = false, dtype = "float32" } = options;
    if (typeof dropout !== "number" || !(dropout >= 0 && dropout <= 1)) {
      throw new ArgumentError(
        "dropout should be a number in range [0, 1] representing the probability of an element being zeroed",
      );
    }
    if (dropout > 0 && numLayers === 1) {
      console.warn(
        "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects " +
          `num_layers greater than 1, but got dropout=${pyFloat(dropout)} and num_layers=${numLayers}`,
      );
    }
    // torch 1.13 checks proj_size < hidden_size for every mode, with proj_size 0: its message for hidden_size <= 0.
    if (!(hiddenSize > 0)) throw new ArgumentError("proj_size has to be smaller than hidden_size");
    for (const [name, v] of [["inputSize", inputSize], ["hiddenSize", hiddenSize], ["numLayers", numLayers]] as const) {
      if (!Number.isInteger(v) || v < (name === "numLayers" ? 1 : 0)) {
        throw new ArgumentError(`${NAMES[mode]}: ${name} must be a ${name === "numLayers" ? "positive" : "non-negative"} integer, got ${v}`);
      }
    }
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.bias = bias;
    this.batchFirst = batchFirst;
    this.dropout = dropout;
    this.bidirectional = bidirectional;
    const gates = GATES[mode] * hiddenSize, D = bidirectional ? 2 : 1;
    for (let layer = 0; layer < numLayers; layer++) {
      for (let d = 0; d < D; d++) {
        const suffix = `_l${layer}${d === 1 ? "_reverse" : ""}`;
        const fanIn = layer === 0 ? inputSize : hiddenSize * D;
        this.registerParameter(`weight_ih${suffix}`, new Parameter(zeros([gates, fanIn], { dtype })));
        this.registerParameter(`weight_hh${suffix}`, new Parameter(zeros([gates, hiddenSize], { dtype })));
        if (bias) {
          this.registerParameter(`bias_ih${suffix}`, new Parameter(zeros([gates], { dtype })));
          this.registerParameter(`bias_hh${suffix}`, new Parameter(zeros([gates], { dtype })));
        }
      }
    }
    this.resetParameters(options.generator);
  }

  /**
   * The parameters of each layer and direction, as torch's `all_weights`:
   * `[[weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0], [..._l0_reverse], [..._l1], ...]`
   * (two per entry without biases). The tensors are the module's own.
   */
  get allWeights(): Parameter[][] {
    return this.layerWeights().map(({ wIh, wHh, bIh, bHh }) => (bIh && bHh ? [wIh, wHh, bIh, bHh] : [wIh, wHh]));
  }

  /** Draw fresh initial values, as at construction: every parameter from U(-1/sqrt(H), 1/sqrt(H)). */
  resetParameters(generator?: Generator): void {
    const bound = this.hiddenSize > 0 ? 1 / Math.sqrt(this.hiddenSize) : 0;
    for (const p of this.parameters()) uniform_(p, -bound, bound, { generator });
  }

  /** Read the parameters by their torch names (fields may have been reassigned, as in gradcheck). */
  private layerWeights(): LayerWeights[] {
    const fields = this as unknown as Record<string, Parameter | null | undefined>;
    const out: LayerWeights[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let d = 0; d < (this.bidirectional ? 2 : 1); d++) {
        const s = `_l${layer}${d === 1 ? "_reverse" : ""}`;
        out.push({
          wIh: fields[`weight_ih${s}`] as Parameter, wHh: fields[`weight_hh${s}`] as Parameter,
          bIh: fields[`bias_ih${s}`] ?? null, bHh: fields[`bias_hh${s}`] ?? null,
        });
      }
    }
    return out;
  }

  /**
   * torch's forward checks and the run over layers and directions: `hx` is (h0) or (h0, c0),
   * already unsqueezed for unbatched input. Returns the output and the stacked final states.
   * @internal
   */
  protected _run(input: Tensor, h0: Tensor | null, c0: Tensor | null, batched: boolean): { output: Tensor; h: Tensor; c: Tensor | null } {
    const lstm = this.mode === "LSTM";
    const D = this.bidirectional ? 2 : 1;
    const x = batched ? input : input.unsqueeze(this.batchFirst ? 0 : 1);
    if (x.ndim !== 3) throw new ShapeError(`input must have 3 dimensions, got ${x.ndim}`);
    if (x.shape[2] !== this.inputSize) {
      throw new ShapeError(`input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${x.shape[2]}`);
    }
    const weights = this.layerWeights();
    const dtype = weights[0].wIh.dtype;
    if (x.dtype !== dtype) throw new DTypeError("mat1 and mat2 must have the same dtype");
    const batch = x.shape[this.batchFirst ? 0 : 1];
    const expected = [this.numLayers * D, batch, this.hiddenSize];
    const hInit = h0 ?? zeros(expected, { dtype });
    const cInit = lstm ? (c0 ?? zeros(expected, { dtype })) : null;
    const check = (t: Tensor, which: string) => {
      if (t.ndim !== 3 || t.shape.some((s, i) => s !== expected[i])) {
        throw new ShapeError(`Expected hidden${which} size ${pyTuple(expected)}, got [${t.shape.join(", ")}]`);
      }
    };
    check(hInit, lstm ? "[0]" : "");
    if (cInit) check(cInit, "[1]");

    let seq = this.batchFirst ? x.transpose(0, 1) : x; // (T, B, features)
    const T = seq.shape[0];
    if (T === 0) throw new ShapeError("Expected sequence length to be larger than 0 in RNN");
    const hs: Tensor[] = [], cs: Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const i = layer * D + d;
        const { wIh, wHh, bIh, bHh } = weights[i];
        const xproj = linear(seq, wIh, bIh);
        const c = cInit ? cInit.select(0, i) : null;
        const y = recurrentLayer(this.mode, xproj, wHh, bHh, hInit.select(0, i), c, d === 1);
        outs.push(lstm ? y.narrow(0, 0, T) : y);
        hs.push(y.select(0, d === 1 ? 0 : T - 1));
        if (lstm) cs.push(y.select(0, T));
      }
      seq = D === 2 ? cat(outs, 2) : outs[0];
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1) {
        seq = dropoutFn(seq, { p: this.dropout, training: true });
      }
    }
    let output = this.batchFirst ? seq.transpose(0, 1) : seq;
    let h = stack(hs, 0), c = lstm ? stack(cs, 0) : null;
    if (!batched) {
      output = output.squeeze(this.batchFirst ? 0 : 1);
      h = h.squeeze(1);
      c = c?.squeeze(1) ?? null;
    }
    return { output, h, c };
  }

  /** torch's repr: `LSTM(27, 128, num_layers=2, batch_first=True)`. */
  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += `, bias=${pyBool(this.bias)}`;
    if (this.batchFirst) s += `, batch_first=${pyBool(this.batchFirst)}`;
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) s += `, bidirectional=${pyBool(this.bidirectional)}`;
    return s;
  }
}

/** For RNN and GRU: torch's check of hx's rank against the input's, then hx unsqueezed. */
function hiddenFor(input: Tensor, hx: Tensor | null | undefined): Tensor | null {
  if (hx == null) return null;
  if (input.ndim === 3) {
    if (hx.ndim !== 3) throw new ShapeError(`For batched 3-D input, hx should also be 3-D but got ${hx.ndim}-D tensor`);
    return hx;
  }
  if (hx.ndim !== 2) throw new ShapeError(`For unbatched 2-D input, hx should also be 2-D but got ${hx.ndim}-D tensor`);
  return hx.unsqueeze(1);
}

/**
 * An Elman RNN, as torch.nn.RNN: for each layer and step, h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)
 * (or relu). Input (seq, batch, inputSize), or (batch, seq, inputSize) with `batchFirst`, or
 * unbatched (seq, inputSize); `forward` returns `[output, hN]`: output (seq, batch, D * hiddenSize)
 * holds the last layer's hidden state at every step (both directions concatenated), hN
 * (numLayers * D, batch, hiddenSize) the final state of every layer and direction.
 *
 * @example
 * const rnn = new RNN(10, 20, { numLayers: 2 });
 * const [output, hN] = rnn.forward(randn([5, 3, 10]), randn([2, 3, 20])); // [5, 3, 20], [2, 3, 20]
 */
export class RNN extends RNNBase {
  /** `tanh` or `relu`. */
  readonly nonlinearity: "tanh" | "relu";

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const nonlinearity = options.nonlinearity ?? "tanh";
    if (nonlinearity !== "tanh" && nonlinearity !== "relu") {
      throw new ArgumentError(`Unknown nonlinearity '${String(nonlinearity)}'`);
    }
    super(nonlinearity === "tanh" ? "RNN_TANH" : "RNN_RELU", inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }

  /** Run the sequence from `hx` (h0; zeros when omitted): `[output, hN]`. */
  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { output, h } = this._run(input, hiddenFor(input, hx), null, input.ndim === 3);
    return [output, h];
  }
}

/**
 * A multi-layer GRU, as torch.nn.GRU, with torch's gate order (r, z, n) and formula:
 *   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h
 * Shapes as `RNN`; `forward` returns `[output, hN]`.
 *
 * @example
 * const gru = new GRU(8, 16, { batchFirst: true, bidirectional: true });
 * const [output, hN] = gru.forward(randn([4, 7, 8])); // [4, 7, 32], [2, 4, 16]
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNBaseOptions = {}) {
    super("GRU", inputSize, hiddenSize, options);
  }

  /** Run the sequence from `hx` (h0; zeros when omitted): `[output, hN]`. */
  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { output, h } = this._run(input, hiddenFor(input, hx), null, input.ndim === 3);
    return [output, h];
  }
}

/**
 * A multi-layer LSTM, as torch.nn.LSTM, with torch's gate order (i, f, g, o):
 *   i, f, o = sigmoid(W_i* x + b_i* + W_h* h + b_h*),  g = tanh(W_ig x + b_ig + W_hg h + b_hg)
 *   c' = f * c + i * g,  h' = o * tanh(c')
 * Shapes as `RNN`; `forward(input, [h0, c0]?)` returns `[output, [hN, cN]]`.
 *
 * @example
 * const lstm = new LSTM(27, 128, { numLayers: 2, batchFirst: true });
 * const [out, [h, c]] = lstm.forward(randn([32, 10, 27])); // [32, 10, 128], [2, 32, 128] twice
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNBaseOptions = {}) {
    super("LSTM", inputSize, hiddenSize, options);
  }

  /** Run the sequence from `hx` ([h0, c0]; zeros when omitted): `[output, [hN, cN]]`. */
  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    let h0: Tensor | null = null, c0: Tensor | null = null;
    if (hx != null) {
      [h0, c0] = hx;
      const want = input.ndim === 3 ? 3 : 2;
      if (h0.ndim !== want || c0.ndim !== want) {
        throw new ShapeError(
          `For ${want === 3 ? "batched 3-D" : "unbatched 2-D"} input, hx and cx should also be ${want}-D but got ` +
            `(${h0.ndim}-D, ${c0.ndim}-D) tensors`,
        );
      }
      if (want === 2) [h0, c0] = [h0.unsqueeze(1), c0.unsqueeze(1)];
    }
    const { output, h, c } = this._run(input, h0, c0, input.ndim === 3);
    return [output, [h, c as Tensor]];
  }
}
