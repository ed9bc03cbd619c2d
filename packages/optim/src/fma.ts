/**
 * Fused multiply-add for float32 operands: `a*b + c` rounded once to float32, as the
 * FMA instructions PyTorch's CPU kernels use (torch-semantics.md §1.9).
 *
 * For float32 inputs `a*b` is exact in double (two 24-bit significands fit in 53 bits), so
 * `fround(a*b + c)` has only two roundings: to double, then to float32. That double
 * rounding can go wrong in one case only: when the double sum lands exactly halfway between
 * two float32 values (a float32 midpoint is itself a double, so rounding to double can reach
 * it but never cross it). Then the rounding error of the double sum (TwoSum) says on which
 * side the exact sum lies. The check costs a few flops and the fix-up branch almost never runs.
 */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = Math.fround(s);
  const half = s - r; // exact: s and r are within a factor of two of each other
  const other = r + 2 * half; // the float32 on the other side of s, when s is a midpoint
  if (half === 0 || Math.fround(other) !== other) return r;
  // s is a float32 midpoint: find the exact error of p + c (Knuth's TwoSum).
  const z = s - p;
  const err = p - (s - z) + (c - z);
  if (err === 0) return r; // an exact tie: fround's ties-to-even was right
  return (err > 0) === (half > 0) ? other : r;
}
