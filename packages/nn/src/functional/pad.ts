import { Tensor, pad as padPrimitive, type PadMode as TensorPadMode } from "@minigrad/tensor";
import { checkFloating } from "./util";

/**
 * How `pad` fills the border: "constant" (the value), "reflect", "replicate" or "circular".
 * (An alias, not a re-export: the bundled declarations of the `functional` namespace would
 * otherwise turn the re-exported type into a value.)
 */
export type PadMode = TensorPadMode;

/**
 * torch's F.pad: pad the last dims of `input` by `pad` = [left, right, top, bottom, front,
 * back, ...] (pairs from the last dim backwards; negative amounts crop) with the constant
 * `value` (0), or by reflecting ('reflect'), repeating the edge ('replicate') or wrapping
 * around ('circular'); those three pad 1 to 3 dims of a 2-D to 5-D input, as torch 1.13.
 * Differentiable: each output element's gradient goes back to the element it copies.
 *
 * @example
 * ```ts
 * F.pad(randn([1, 3, 4, 4]), [1, 1, 2, 2], "reflect").shape; // [1, 3, 8, 6]
 * ```
 */
export function pad(input: Tensor, pad: readonly number[], mode: PadMode = "constant", value?: number | null): Tensor {
  checkFloating("pad", "input", input);
  return padPrimitive(input, pad, mode, value ?? undefined);
}
