import type { TypedArray } from "./dtype";

/** A number, or arbitrarily nested arrays of numbers: what `toArray()` returns. */
export type NestedArray = number | NestedArray[];

/** Row-major values of a tensor of `shape` as nested arrays; a number for a 0-d tensor. */
export function nested(flat: TypedArray, shape: readonly number[]): NestedArray {
  if (shape.length === 0) return flat[0];
  let index = 0;
  const build = (d: number): NestedArray[] => {
    const out: NestedArray[] = [];
    for (let i = 0; i < shape[d]; i++) out.push(d === shape.length - 1 ? flat[index++] : build(d + 1));
    return out;
  };
  return build(0);
}
