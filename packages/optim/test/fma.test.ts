import { describe, expect, it } from "vitest";
import { fma32 } from "@minigrad/optim";

// A float32 is an integer multiple of 2^-149, so a*b + c is an exact multiple of 2^-298.
const SCALE = 149;
const big = (x: number) => BigInt(x * 2 ** SCALE); // exact: a float32 times 2^149 is an integer

/** The exact a*b + c, rounded once to float32 (ties to even): the reference FMA, in BigInt. */
function fmaReference(a: number, b: number, c: number): number {
  const exact = big(a) * big(b) + (big(c) << BigInt(SCALE));
  const approx = Math.fround(Number(exact) / 2 ** (2 * SCALE)); // within one float32 step of the answer
  const scaled = (x: number) => big(x) << BigInt(SCALE);
  const candidates = [approx, nextF32(approx, -1), nextF32(approx, 1)];
  let best = candidates[0];
  for (const x of candidates.slice(1)) {
    const d = abs(scaled(x) - exact) - abs(scaled(best) - exact);
    if (d < 0n || (d === 0n && isEven(x))) best = x;
  }
  return best;
}

const abs = (x: bigint) => (x < 0n ? -x : x);
const f32Bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];
const isEven = (x: number) => (f32Bits(x) & 1) === 0;

function nextF32(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * 2 ** -149;
  const u = new Uint32Array(new Float32Array([x]).buffer);
  u[0] += (x > 0) === (dir > 0) ? 1 : -1;
  return new Float32Array(u.buffer)[0];
}

describe("fma32", () => {
  it("rounds a sum that lands on a float32 midpoint in double towards the exact side", () => {
    // c = 1 + 2^-23 (odd last bit), a*b = 2^-24 - 2^-70: the exact sum lies just below the
    // midpoint 1 + 3·2^-24, but in double it is the midpoint, which fround rounds up to even.
    const a = 1 + 2 ** -23;
    const b = Math.fround(2 ** -24 * (1 - 2 ** -23));
    const c = 1 + 2 ** -23;
    expect(Math.fround(a * b + c)).toBe(1 + 2 ** -22); // what naive emulation gives
    expect(fma32(a, b, c)).toBe(1 + 2 ** -23);
    expect(fmaReference(a, b, c)).toBe(1 + 2 ** -23);
  });

  it("keeps ties-to-even for an exact tie and for the other side of a midpoint", () => {
    expect(fma32(1, 2 ** -24, 1)).toBe(1); // exactly halfway: the even neighbour
    expect(fma32(1 + 2 ** -23, Math.fround(2 ** -24 * (1 - 2 ** -23)), 1)).toBe(1); // just below halfway
    expect(fma32(-(1 + 2 ** -23), Math.fround(2 ** -24 * (1 - 2 ** -23)), -(1 + 2 ** -23))).toBe(-(1 + 2 ** -23));
  });

  it("passes infinities, NaN and signed zeros through as IEEE fma does", () => {
    expect(fma32(Infinity, 2, 1)).toBe(Infinity);
    expect(fma32(3e38, 3e38, 0)).toBe(Infinity);
    expect(fma32(NaN, 1, 1)).toBeNaN();
    expect(Object.is(fma32(-0, 1, -0), -0)).toBe(true);
    expect(Object.is(fma32(0, -1, 0), 0)).toBe(true);
  });

  it("matches an exact BigInt reference on random and near-cancelling float32 triples", () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const f = (scale: number) => Math.fround(rnd() * scale);
    for (let i = 0; i < 20000; i++) {
      const a = f(i % 3 === 0 ? 1e-3 : 4);
      const b = f(i % 5 === 0 ? 1e3 : 4);
      // Every other triple nearly cancels a*b, where FMA and separate rounding differ most.
      const c = i % 2 === 0 ? Math.fround(-a * b * (1 + rnd() * 2 ** -20)) : f(8);
      const want = fmaReference(a, b, c);
      if (!Object.is(fma32(a, b, c), want) && !(want === 0 && fma32(a, b, c) === 0)) {
        expect.fail(`fma32(${a}, ${b}, ${c}) = ${fma32(a, b, c)}, exact rounding gives ${want}`);
      }
    }
  });
});
