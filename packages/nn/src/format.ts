/**
 * Python's spelling of values, for module reprs that match torch's character for character
 * (`eps=1e-05`, `bias=True`, `(4,)`).
 */

/** repr() of a Python float: `0.5`, `1.0`, `1e-05`, `1e+16`. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  // toExponential() without digits gives the shortest round-trip digits, as Python's repr.
  const [mantissa, exp] = x.toExponential().split("e");
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  const fixed = String(x);
  return Number.isInteger(x) ? `${fixed}.0` : fixed;
}

export function pyBool(b: boolean): string {
  return b ? "True" : "False";
}

/** A Python tuple of ints: `(4,)`, `(2, 3)`. */
export function pyTuple(values: readonly number[]): string {
  return values.length === 1 ? `(${values[0]},)` : `(${values.join(", ")})`;
}
