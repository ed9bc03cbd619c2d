import {
  ArgumentError,
  DTypeError,
  Tensor,
  defaultGenerator,
  isFloating,
  noGrad,
  type FloatArray,
  type Generator,
} from "@minigrad/tensor";

/**
 * Parameter initialisation, as `torch.nn.init`: each function fills a tensor in place
 * (without recording a graph, so parameters can be filled) and returns it. Random ones
 * draw from the seeded default generator unless handed another. Bounds and standard
 * deviations are computed with torch's formulas, in the same order of float operations.
 */

/** Options of the random initialisers. */
export interface RandomInitOptions {
  /** The stream to draw from; the seeded `defaultGenerator` by default. */
  generator?: Generator;
}

/** The nonlinearities `calculateGain` knows (torch's table); leakyRelu aliases leaky_relu. */
export type Nonlinearity =
  | "linear" | "conv1d" | "conv2d" | "conv3d" | "conv_transpose1d" | "conv_transpose2d" | "conv_transpose3d"
  | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "leakyRelu" | "selu";

/**
 * Which fan kaiming divides by: fanIn (keeps the forward pass's variance) or fanOut (the
 * backward's); torch's spellings fan_in and fan_out are accepted too.
 */
export type FanMode = "fanIn" | "fanOut" | "fan_in" | "fan_out";

/** Options of `kaimingUniform_` and `kaimingNormal_`. */
export interface KaimingOptions extends RandomInitOptions {
  /** The negative slope of the leaky_relu that follows (0 for relu). */
  a?: number;
  /** The fan to divide by; "fanIn" by default. */
  mode?: FanMode;
  /** The nonlinearity whose gain is used, with `a` as its parameter; "leaky_relu" by default. */
  nonlinearity?: Nonlinearity;
}

/** Write values drawn into a fresh buffer of t's dtype into t (any layout). */
function fill(op: string, t: Tensor, draw: (out: FloatArray) => void): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor`);
  if (!isFloating(t.dtype)) throw new DTypeError(`${op}: expected a floating point tensor, got ${t.dtype}`);
  if (t.numel === 0) return t;
  const values = Tensor.empty(t.shape, t.dtype);
  draw(values._data as FloatArray);
  noGrad(() => t.copy_(values));
  return t;
}

/** Uniform values in [a, b). */
export function uniform_(t: Tensor, a = 0, b = 1, { generator = defaultGenerator }: RandomInitOptions = {}): Tensor {
  return fill("uniform_", t, (out) => generator.fillUniform(out, a, b));
}

/** Normal values with the given mean and standard deviation. */
export function normal_(t: Tensor, mean = 0, std = 1, { generator = defaultGenerator }: RandomInitOptions = {}): Tensor {
  return fill("normal_", t, (out) => generator.fillNormal(out, mean, std));
}

/** Fill `t` with `value` in place (no graph recorded), as torch.nn.init.constant_; returns t. */
export function constant_(t: Tensor, value: number): Tensor {
  return fill("constant_", t, (out) => out.fill(value));
}

/** Fill `t` with 0 in place, as torch.nn.init.zeros_; returns t. */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/** Fill `t` with 1 in place, as torch.nn.init.ones_; returns t. */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/** The recommended gain for a nonlinearity (torch's table): relu sqrt(2), tanh 5/3, ... */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear": case "conv1d": case "conv2d": case "conv3d":
    case "conv_transpose1d": case "conv_transpose2d": case "conv_transpose3d": case "sigmoid":
      return 1;
    case "tanh":
      return 5.0 / 3;
    case "relu":
      return Math.sqrt(2.0);
    case "leaky_relu": case "leakyRelu": {
      const slope = param ?? 0.01;
      if (typeof slope !== "number" || !Number.isFinite(slope)) {
        throw new ArgumentError(`negative_slope ${String(slope)} not a valid number`);
      }
      return Math.sqrt(2.0 / (1 + slope ** 2));
    }
    case "selu":
      return 3.0 / 4;
    default:
      throw new ArgumentError(`Unsupported nonlinearity ${String(nonlinearity)}`);
  }
}

/**
 * torch's fans of a weight: dim 1 is the input size, dim 0 the output size, and the
 * remaining dims (a convolution's kernel) multiply both.
 */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) {
    throw new ArgumentError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  }
  const receptive = t.shape.slice(2).reduce((p, s) => p * s, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

function correctFan(t: Tensor, mode: FanMode): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  if (mode === "fanIn" || mode === "fan_in") return fanIn;
  if (mode === "fanOut" || mode === "fan_out") return fanOut;
  throw new ArgumentError(`Mode ${String(mode)} not supported, please use one of fanIn, fanOut`);
}

/** The std of the kaiming initialisers; `options` may be just `a`, as torch's positional form. */
function kaimingStd(t: Tensor, options: number | KaimingOptions): { std: number; generator?: Generator } {
  const { a = 0, mode = "fanIn", nonlinearity = "leaky_relu", generator } =
    typeof options === "number" ? ({ a: options } as KaimingOptions) : options;
  return { std: calculateGain(nonlinearity, a) / Math.sqrt(correctFan(t, mode)), generator };
}

/**
 * He et al. (2015), uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan).
 * `kaimingUniform_(w, { a: Math.sqrt(5) })` (or `kaimingUniform_(w, Math.sqrt(5))`) is Linear's init.
 */
export function kaimingUniform_(t: Tensor, options: number | KaimingOptions = {}): Tensor {
  if (t.numel === 0) return t; // torch warns that this is a no-op
  const { std, generator } = kaimingStd(t, options);
  const bound = Math.sqrt(3.0) * std;
  return uniform_(t, -bound, bound, { generator });
}

/** He et al. (2015), normal: N(0, std^2) with std = gain / sqrt(fan). */
export function kaimingNormal_(t: Tensor, options: number | KaimingOptions = {}): Tensor {
  if (t.numel === 0) return t;
  const { std, generator } = kaimingStd(t, options);
  return normal_(t, 0, std, { generator });
}

/** Glorot & Bengio (2010), uniform: bound = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, gain = 1, { generator }: RandomInitOptions = {}): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  const bound = Math.sqrt(3.0) * std;
  return uniform_(t, -bound, bound, { generator });
}

/** Glorot & Bengio (2010), normal: std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1, { generator }: RandomInitOptions = {}): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  return normal_(t, 0, std, { generator });
}
