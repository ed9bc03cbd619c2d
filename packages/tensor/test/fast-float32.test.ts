import { describe, expect, it } from "vitest";
import { expForFloat32, tanhForFloat32 } from "../src/math/fast-float32";
import { Generator, tensor } from "../src/index";

/** Distance in float32 ulps between two float32 values (same sign assumed, as here). */
function ulps(a: number, b: number): number {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  const bits = new Int32Array(new Float32Array([a, b]).buffer);
  return Math.abs(bits[0] - bits[1]);
}

function worst(f: (x: number) => number, exact: (x: number) => number, xs: Iterable<number>): { ulps: number; at: number } {
  let result = { ulps: 0, at: NaN };
  for (const x of xs) {
    const d = ulps(Math.fround(f(x)), Math.fround(exact(x)));
    if (d > result.ulps) result = { ulps: d, at: x };
  }
  return result;
}

/** Random float32 values in [lo, hi], plus every float32 in a dense stretch near zero. */
function* samples(lo: number, hi: number, count: number): IterableIterator<number> {
  const g = new Generator(7);
  const u = new Float32Array(count);
  g.fillUniform(u, lo, hi);
  yield* u;
  for (let x = -1e-3; x <= 1e-3; x += 1e-7) yield Math.fround(x);
}

describe("float32 exp and tanh (issue 6: <= 2 ulp)", () => {
  it("exp is within 1 ulp of the correctly rounded value over float32's whole range", () => {
    const r = worst(expForFloat32, Math.exp, samples(-103.9, 88.7, 400_000));
    expect(r.ulps, `worst at ${r.at}`).toBeLessThanOrEqual(1);
  });

  it("tanh is within 1 ulp over [-12, 12] and near zero", () => {
    const r = worst(tanhForFloat32, Math.tanh, samples(-12, 12, 400_000));
    expect(r.ulps, `worst at ${r.at}`).toBeLessThanOrEqual(1);
  });

  it("handle the edges: overflow, underflow, NaN, infinities, signed zero", () => {
    expect(expForFloat32(89)).toBe(Infinity);
    expect(expForFloat32(-105)).toBe(0);
    expect(expForFloat32(0)).toBe(1);
    expect(expForFloat32(NaN)).toBeNaN();
    expect(expForFloat32(-Infinity)).toBe(0);
    expect(tanhForFloat32(Infinity)).toBe(1);
    expect(tanhForFloat32(-Infinity)).toBe(-1);
    expect(tanhForFloat32(NaN)).toBeNaN();
    expect(Object.is(tanhForFloat32(-0), -0)).toBe(true);
  });

  it("are what float32 tensors use; float64 tensors keep Math.exp / Math.tanh exactly", () => {
    const x = [-3.25, -0.001, 0.5, 7];
    expect(tensor(x).exp().toArray()).toEqual(x.map((v) => Math.fround(expForFloat32(v))));
    expect(tensor(x, { dtype: "float64" }).exp().toArray()).toEqual(x.map(Math.exp));
    expect(tensor(x, { dtype: "float64" }).tanh().toArray()).toEqual(x.map(Math.tanh));
  });
});

describe("relu on float32 bit patterns (long contiguous rows)", () => {
  it("equals max(x, 0) with torch's edge cases: NaN of either sign kept, -0 and -inf to 0", () => {
    const values = new Float32Array(200);
    const g = new Generator(3);
    g.fillUniform(values, -5, 5);
    values.set([NaN, -0, 0, -Infinity, Infinity, -1e-45, 1e-45], 0);
    const bits = new Int32Array(values.buffer);
    bits[7] = 0xffc00000 | 0; // x86's default NaN, sign bit set
    const y = tensor(values).relu().toTypedArray();
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      const want = Number.isNaN(x) ? NaN : x > 0 ? x : 0;
      expect(Object.is(y[i], want) || (Number.isNaN(want) && Number.isNaN(y[i])), `relu(${x}) at ${i}`).toBe(true);
    }
    expect(Object.is(y[1], 0)).toBe(true); // -0 becomes +0
  });
});

describe("relu's backward on float32 bit patterns", () => {
  it("passes the gradient where the output is positive or NaN, else 0", () => {
    const x = new Float32Array(160);
    new Generator(5).fillUniform(x, -3, 3);
    x[0] = NaN;
    x[1] = 0;
    const t = tensor(x, { requiresGrad: true });
    const upstream = tensor(Array.from({ length: 160 }, (_, i) => i - 80));
    t.relu().backward(upstream);
    const g = t.grad?.toTypedArray() ?? new Float32Array();
    for (let i = 0; i < 160; i++) {
      const want = Number.isNaN(x[i]) || x[i] > 0 ? i - 80 : 0;
      expect(g[i], `at ${i} (x = ${x[i]})`).toBe(want);
    }
  });
});
