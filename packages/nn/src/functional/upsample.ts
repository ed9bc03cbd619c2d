import { ArgumentError, ShapeError, Tensor, remap } from "@minigrad/tensor";
import { checkFloating } from "./util";

/** The interpolation modes of `interpolate`; minigrad has 'nearest'. */
export type InterpolateMode = "nearest";

/** Options of `interpolate` and `Upsample`: exactly one of size and scaleFactor. */
export interface InterpolateOptions {
  /** The output's spatial size: one int for every spatial dim, or one per dim. */
  size?: number | readonly number[] | null;
  /** The multiplier of each spatial size (output = floor(input * scale)): one, or one per dim. */
  scaleFactor?: number | readonly number[] | null;
  /** 'nearest', the only mode (and torch's default). */
  mode?: InterpolateMode;
}

const pyTuple = (v: readonly number[]): string => (v.length === 1 ? `(${v[0]},)` : `(${v.join(", ")})`);

/**
 * The source index of each output position, as torch's nearest_idx: a copy for equal sizes,
 * i >> 1 for a doubling, else min(floor(i * scale), size - 1) in float32 arithmetic with
 * scale = 1 / scaleFactor when one was given, size / outSize otherwise.
 */
function nearestMap(size: number, out: number, scaleFactor: number | null): Int32Array {
  const map = new Int32Array(out);
  if (out === size) {
    for (let i = 0; i < out; i++) map[i] = i;
  } else if (out === 2 * size) {
    for (let i = 0; i < out; i++) map[i] = i >> 1;
  } else {
    const scale = Math.fround(scaleFactor !== null && scaleFactor > 0 ? 1 / scaleFactor : size / out);
    for (let i = 0; i < out; i++) map[i] = Math.min(Math.floor(Math.fround(i * scale)), size - 1);
  }
  return map;
}

/**
 * torch's F.interpolate with mode 'nearest': input (n, c, l), (n, c, h, w) or (n, c, d, h, w)
 * resized to `size`, or by `scaleFactor`, each output element a copy of the nearest input
 * element (torch's index rule, not 'nearest-exact'). The gradient of every copy is added back.
 *
 * @example
 * ```ts
 * F.interpolate(randn([1, 3, 8, 8]), { scaleFactor: 2 }).shape; // [1, 3, 16, 16]
 * ```
 */
export function interpolate(input: Tensor, options: InterpolateOptions = {}): Tensor {
  checkFloating("interpolate", "input", input);
  const mode = options.mode ?? "nearest";
  const dims = input.ndim - 2;
  if (dims < 1 || dims > 3) {
    throw new ShapeError(
      `Input Error: Only 3D, 4D and 5D input Tensors supported (got ${input.ndim}D) for the modes: nearest | linear | ` +
        `bilinear | bicubic | trilinear | area | nearest-exact (got ${mode})`,
    );
  }
  if (mode !== "nearest") {
    throw new ArgumentError(`interpolate: mode '${String(mode)}' is not implemented; minigrad has 'nearest'`);
  }
  const { size = null, scaleFactor = null } = options;
  if (size !== null && scaleFactor !== null) throw new ArgumentError("only one of size or scale_factor should be defined");
  if (size === null && scaleFactor === null) throw new ArgumentError("either size or scale_factor should be defined");
  const spatial = input.shape.slice(2);
  let outSize: number[];
  let scales: (number | null)[];
  if (size !== null) {
    if (typeof size !== "number" && size.length !== dims) {
      throw new ShapeError(
        `Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of ` +
          `[${spatial.join(", ")}] and output size of ${pyTuple(size)}. Please provide input tensor in (N, C, d1, d2, ` +
          "...,dK) format and output size in (o1, o2, ...,oK) format.",
      );
    }
    outSize = typeof size === "number" ? Array<number>(dims).fill(size) : [...size];
    scales = outSize.map(() => null);
  } else {
    const f = scaleFactor as number | readonly number[];
    if (typeof f !== "number" && f.length !== dims) {
      throw new ShapeError(
        `Input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions ` +
          `of [${spatial.join(", ")}] and scale_factor of shape ${pyTuple(f)}. Please provide input tensor in (N, C, d1, ` +
          "d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.",
      );
    }
    scales = typeof f === "number" ? Array<number>(dims).fill(f) : [...f];
    outSize = spatial.map((s, i) => Math.floor(s * (scales[i] as number)));
  }
  if (outSize.some((s) => !(Number.isInteger(s) && s > 0))) {
    throw new ArgumentError(
      `Input and output sizes should be greater than 0, but got input (${spatial.join(", ")}) and output (${outSize.join(", ")})`,
    );
  }
  return remap(input, spatial.map((s, i) => nearestMap(s, outSize[i], scales[i])));
}
