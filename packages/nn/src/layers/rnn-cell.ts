import { ArgumentError, DTypeError, ShapeError, Tensor, recurrentLayer, zeros, type Generator, type RecurrentMode } from "@minigrad/tensor";
import { pyBool } from "../format";
import { linear } from "../functional/linear";
import { uniform_ } from "../init";
import { Module } from "../module";
import { Parameter } from "../parameter";

/** Options of `LSTMCell` and `GRUCell`. */
export interface RNNCellBaseOptions {
  /** Learn the biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** The dtype of every weight and bias; float32 by default. */
  dtype?: "float32" | "float64";
  /** Where the initial values come from (the seeded default generator otherwise). */
  generator?: Generator;
}

/** Options of `RNNCell`: those of every cell plus the nonlinearity. */
export interface RNNCellOptions extends RNNCellBaseOptions {
  /** h' = tanh(...) (the default) or relu(...). */
  nonlinearity?: "tanh" | "relu";
}

/**
 * What the cells share, as torch.nn.RNNCellBase: parameters under torch's names (`weight_ih`
 * (G*H, inputSize), `weight_hh` (G*H, H), `bias_ih`, `bias_hh` (G*H), or null without bias),
 * all drawn from U(-1/sqrt(H), 1/sqrt(H)); torch's input checks; one step of the same
 * recurrence op the full layers run.
 */
export abstract class RNNCellBase extends Module {
  /** The number of features of the input. */
  readonly inputSize: number;
  /** The number of features of the hidden state. */
  readonly hiddenSize: number;
  /** Whether the cell has biases. */
  readonly bias: boolean;
  /** The input-hidden weights, (G * hiddenSize, inputSize), gates in torch's order. */
  declare weight_ih: Parameter;
  /** The hidden-hidden weights, (G * hiddenSize, hiddenSize). */
  declare weight_hh: Parameter;
  /** The input-hidden bias, (G * hiddenSize), or null without bias. */
  declare bias_ih: Parameter | null;
  /** The hidden-hidden bias, (G * hiddenSize), or null without bias. */
  declare bias_hh: Parameter | null;
  /** @internal torch's mode name of the recurrence. */
  declare protected readonly _mode: RecurrentMode;

  constructor(mode: RecurrentMode, gates: number, inputSize: number, hiddenSize: number, options: RNNCellBaseOptions) {
    super();
    const { bias = true, dtype = "float32" } = options;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.bias = bias;
    Object.defineProperty(this, "_mode", { value: mode, enumerable: false });
    this.registerParameter("weight_ih", new Parameter(zeros([gates * hiddenSize, inputSize], { dtype })));
    this.registerParameter("weight_hh", new Parameter(zeros([gates * hiddenSize, hiddenSize], { dtype })));
    this.registerParameter("bias_ih", bias ? new Parameter(zeros([gates * hiddenSize], { dtype })) : null);
    this.registerParameter("bias_hh", bias ? new Parameter(zeros([gates * hiddenSize], { dtype })) : null);
    this.resetParameters(options.generator);
  }

  /** Draw fresh initial values, as at construction: every parameter from U(-1/sqrt(H), 1/sqrt(H)). */
  resetParameters(generator?: Generator): void {
    const bound = this.hiddenSize > 0 ? 1 / Math.sqrt(this.hiddenSize) : 0;
    for (const p of this.parameters()) uniform_(p, -bound, bound, { generator });
  }

  /**
   * One step: torch's checks (messages of its C++ cell checks), then the recurrence over a
   * sequence of length 1. `h`, `c` are batched already. Returns (1 or 2, B, H).
   * @internal
   */
  protected _step(name: string, input: Tensor, h: Tensor, c: Tensor | null): Tensor {
    if (input.dtype !== this.weight_ih.dtype) throw new DTypeError("mat1 and mat2 must have the same dtype");
    if (input.shape[1] !== this.inputSize) {
      throw new ShapeError(`input has inconsistent input_size: got ${input.shape[1]} expected ${this.inputSize}`);
    }
    // torch's C++ check names both of an LSTM cell's states hidden0, and so do these messages.
    [h, c].forEach((t) => {
      const i = 0;
      if (t === null) return;
      if (t.ndim !== 2) throw new ShapeError(`${name}: Expected hidden${i} to be 2-D, got ${t.ndim}-D tensor`);
      if (t.shape[0] !== input.shape[0]) {
        throw new ShapeError(`Input batch size ${input.shape[0]} doesn't match hidden${i} batch size ${t.shape[0]}`);
      }
      if (t.shape[1] !== this.hiddenSize) {
        throw new ShapeError(`hidden${i} has inconsistent hidden_size: got ${t.shape[1]}, expected ${this.hiddenSize}`);
      }
    });
    const xproj = linear(input, this.weight_ih, this.bias_ih).unsqueeze(0);
    return recurrentLayer(this._mode, xproj, this.weight_hh, this.bias_hh, h, c, false);
  }

  /** torch's check of the input's rank, and the batch dim added to unbatched input. @internal */
  protected _batched(name: string, input: Tensor): boolean {
    if (input.ndim !== 1 && input.ndim !== 2) {
      throw new ShapeError(`${name}: Expected input to be 1-D or 2-D but received ${input.ndim}-D tensor`);
    }
    return input.ndim === 2;
  }

  /** A zero state for a batch of `input`'s size. @internal */
  protected _zeros(input: Tensor): Tensor {
    return zeros([input.shape[0], this.hiddenSize], { dtype: input.dtype });
  }

  /** torch's repr: `RNNCell(3, 4, bias=False, nonlinearity=relu)`. */
  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? "" : `, bias=${pyBool(false)}`}`;
  }
}

/**
 * One step of an Elman RNN, as torch.nn.RNNCell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)
 * (or relu). Input (batch, inputSize) or (inputSize); hx of the matching shape (zeros when
 * omitted); returns h'.
 *
 * @example
 * const cell = new RNNCell(10, 20);
 * let h = zeros([3, 20]);
 * for (const x of steps) h = cell.forward(x, h);
 */
export class RNNCell extends RNNCellBase {
  /** `tanh` or `relu`. */
  readonly nonlinearity: "tanh" | "relu";

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    const nonlinearity = options.nonlinearity ?? "tanh";
    if (nonlinearity !== "tanh" && nonlinearity !== "relu") {
      throw new ArgumentError(`Unknown nonlinearity: ${String(nonlinearity)}`);
    }
    super(nonlinearity === "tanh" ? "RNN_TANH" : "RNN_RELU", 1, inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }

  /** h' from input and hx. */
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const batched = this._batched("RNNCell", input);
    const x = batched ? input : input.unsqueeze(0);
    const h = hx == null ? this._zeros(x) : batched ? hx : hx.unsqueeze(0);
    const y = this._step("RNNCell", x, h, null).select(0, 0);
    return batched ? y : y.squeeze(0);
  }

  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity === "tanh" ? "" : `, nonlinearity=${this.nonlinearity}`);
  }
}

/**
 * One step of an LSTM, as torch.nn.LSTMCell (gates i, f, g, o; c' = f c + i g, h' = o tanh c').
 * Input (batch, inputSize) or (inputSize); hx = [h, c] (zeros when omitted); returns [h', c'].
 *
 * @example
 * const cell = new LSTMCell(10, 20);
 * let [h, c] = cell.forward(randn([3, 10]));
 * [h, c] = cell.forward(randn([3, 10]), [h, c]);
 */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellBaseOptions = {}) {
    super("LSTM", 4, inputSize, hiddenSize, options);
  }

  /** [h', c'] from input and hx = [h, c]. */
  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    const batched = this._batched("LSTMCell", input);
    const x = batched ? input : input.unsqueeze(0);
    const [h, c] = hx == null ? [this._zeros(x), this._zeros(x)] : batched ? hx : [hx[0].unsqueeze(0), hx[1].unsqueeze(0)];
    const y = this._step("LSTMCell", x, h, c);
    const [h1, c1] = [y.select(0, 0), y.select(0, 1)];
    return batched ? [h1, c1] : [h1.squeeze(0), c1.squeeze(0)];
  }
}

/**
 * One step of a GRU, as torch.nn.GRUCell (gates r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
 * h' = (1 - z) n + z h). Input (batch, inputSize) or (inputSize); returns h'.
 *
 * @example
 * const cell = new GRUCell(10, 20);
 * const h = cell.forward(randn([3, 10]), zeros([3, 20]));
 */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellBaseOptions = {}) {
    super("GRU", 3, inputSize, hiddenSize, options);
  }

  /** h' from input and hx. */
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const batched = this._batched("GRUCell", input);
    const x = batched ? input : input.unsqueeze(0);
    const h = hx == null ? this._zeros(x) : batched ? hx : hx.unsqueeze(0);
    const y = this._step("GRUCell", x, h, null).select(0, 0);
    return batched ? y : y.squeeze(0);
  }
}
