import type { Tensor } from "@minigrad/tensor";
import { pyFloat, pyTuple } from "../format";
import { interpolate, type InterpolateMode, type InterpolateOptions } from "../functional/upsample";
import { Module } from "../module";

/**
 * torch.nn.Upsample (mode 'nearest'): F.interpolate with a fixed size or scale factor, over
 * (n, c, l), (n, c, h, w) or (n, c, d, h, w).
 *
 * @example
 * ```ts
 * new Upsample({ scaleFactor: 2 }).forward(randn([1, 3, 8, 8])).shape; // [1, 3, 16, 16]
 * ```
 */
export class Upsample extends Module {
  /** The output's spatial size, or null. */
  readonly size: number | readonly number[] | null;
  /** The scale factor, or null. */
  readonly scaleFactor: number | readonly number[] | null;
  /** 'nearest'. */
  readonly mode: InterpolateMode;

  constructor({ size = null, scaleFactor = null, mode = "nearest" }: InterpolateOptions = {}) {
    super();
    this.size = size;
    this.scaleFactor = scaleFactor;
    this.mode = mode;
  }

  /** The resized input. */
  forward(input: Tensor): Tensor {
    return interpolate(input, { size: this.size, scaleFactor: this.scaleFactor, mode: this.mode });
  }

  override extraRepr(): string {
    const f = this.scaleFactor;
    const s = this.size;
    const info = f !== null
      ? `scale_factor=${typeof f === "number" ? pyFloat(f) : `(${f.map(pyFloat).join(", ")}${f.length === 1 ? "," : ""})`}`
      : `size=${s === null ? "None" : typeof s === "number" ? String(s) : pyTuple(s)}`;
    return `${info}, mode=${this.mode}`;
  }
}
