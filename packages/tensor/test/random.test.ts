import { describe, expect, it } from "vitest";
import { Generator, defaultGenerator, manualSeed } from "../src/random";

function meanVar(xs: ArrayLike<number>): [number, number] {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i];
  const mean = sum / xs.length;
  let ss = 0;
  for (let i = 0; i < xs.length; i++) ss += (xs[i] - mean) ** 2;
  return [mean, ss / (xs.length - 1)];
}

describe("Generator streams", () => {
  it("gives the same numbers for the same seed, and different ones for different seeds", () => {
    const a = new Generator(123);
    const b = new Generator(123);
    const c = new Generator(124);
    const xa = Array.from({ length: 16 }, () => a.nextUint32());
    const xb = Array.from({ length: 16 }, () => b.nextUint32());
    const xc = Array.from({ length: 16 }, () => c.nextUint32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it("uses both halves of a seed above 2^32", () => {
    const first = (seed: number) => new Generator(seed).nextUint32();
    expect(first(2 ** 32)).not.toBe(first(0));
    expect(first(2 ** 32 + 5)).not.toBe(first(5));
    expect(first(2 ** 53)).not.toBe(first(0));
  });

  it("produces the golden first values (a change of algorithm must change this test)", () => {
    // xoshiro128** and the seeding were cross-checked against a C transcription of the reference code.
    const g = new Generator(42);
    expect([g.nextUint32(), g.nextUint32(), g.nextUint32(), g.nextUint32()]).toEqual([
      3487290982, 3212863245, 1248711142, 3262221563,
    ]);
    expect(g.nextDouble()).toBe(0.9324339967507995);
    expect(g.nextDouble()).toBe(0.06610353763578114);
    const u = new Float32Array(3);
    g.fillUniform(u, -1, 1);
    expect(Array.from(u)).toEqual([0.02163112163543701, -0.3194190263748169, 0.20779895782470703]);
    // Box-Muller goes through Math.log/cos/sin, which engines need not round identically
    const n = new Float64Array(3);
    g.fillNormal(n, 0, 1);
    const want = [1.50679360414657, -0.10706485173847739, 0.3008270541292129];
    for (let i = 0; i < 3; i++) expect(n[i]).toBeCloseTo(want[i], 14);
    const r = new Int32Array(5);
    g.fillRandint(r, 0, 10);
    expect(Array.from(r)).toEqual([6, 3, 7, 4, 3]);
    expect(Array.from(g.randperm(8))).toEqual([3, 0, 7, 6, 5, 4, 1, 2]);

    expect(new Generator(0).nextUint32()).toBe(2375256356);
    expect(new Generator(2 ** 53).nextUint32()).toBe(2552526775);
  });

  it("manualSeed restarts the stream and initialSeed reports it", () => {
    const g = new Generator(7);
    const first = [g.nextUint32(), g.nextDouble()];
    g.nextUint32();
    expect(g.manualSeed(7)).toBe(g);
    expect([g.nextUint32(), g.nextDouble()]).toEqual(first);
    expect(g.initialSeed()).toBe(7);
    expect(new Generator().initialSeed()).toBe(67280421310721);
  });

  it("rejects bad seeds", () => {
    const g = new Generator();
    for (const bad of [-1, 1.5, NaN, Infinity, -Infinity, 2 ** 53 + 2]) {
      expect(() => g.manualSeed(bad)).toThrow(/^manualSeed: seed must be a non-negative integer, got /);
    }
    expect(() => g.manualSeed(-1)).toThrow("manualSeed: seed must be a non-negative integer, got -1");
    expect(() => new Generator(0.5)).toThrow("manualSeed: seed must be a non-negative integer, got 0.5");
    expect(() => g.manualSeed(0)).not.toThrow();
    expect(() => g.manualSeed(2 ** 53)).not.toThrow();
  });

  it("the default generator is reseeded by manualSeed()", () => {
    expect(manualSeed(5)).toBe(defaultGenerator);
    const x = defaultGenerator.nextUint32();
    manualSeed(5);
    expect(defaultGenerator.nextUint32()).toBe(x);
    expect(x).toBe(new Generator(5).nextUint32());
  });
});

describe("distributions", () => {
  it("nextUint32 and nextDouble stay in range", () => {
    const g = new Generator(1);
    for (let i = 0; i < 10000; i++) {
      const u = g.nextUint32();
      expect(Number.isInteger(u) && u >= 0 && u < 2 ** 32).toBe(true);
      const d = g.nextDouble();
      expect(d >= 0 && d < 1).toBe(true);
    }
  });

  it("uniform: mean and variance of 1e5 samples, bounds, both dtypes", () => {
    const g = new Generator(2);
    for (const out of [new Float32Array(100_000), new Float64Array(100_000)]) {
      g.fillUniform(out, -2, 3);
      const [mean, variance] = meanVar(out);
      // sd of the mean is 5/sqrt(12 * 1e5) = 0.0046
      expect(Math.abs(mean - 0.5)).toBeLessThan(0.025);
      expect(Math.abs(variance - 25 / 12)).toBeLessThan(0.04);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of out) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect(lo).toBeGreaterThanOrEqual(-2);
      expect(hi).toBeLessThan(3);
      expect(lo).toBeLessThan(-1.99);
      expect(hi).toBeGreaterThan(2.99);
    }
  });

  it("uniform never rounds onto high", () => {
    const g = new Generator(3);
    // the only float32 in [1, 1 + 2^-23) is 1; without the guard half the draws would round up to high
    const f32 = new Float32Array(1000);
    g.fillUniform(f32, 1, 1 + 2 ** -23);
    expect(f32.every((v) => v === 1)).toBe(true);
    // high not representable in float32: everything must still be < high after rounding
    g.fillUniform(f32, 0.1 - 1e-9, 0.1);
    expect(f32.every((v) => v < 0.1)).toBe(true);
    const f64 = new Float64Array(1000);
    g.fillUniform(f64, 1, 1 + 2 ** -52);
    expect(f64.every((v) => v === 1)).toBe(true);
    // an empty range gives low, and a reversed one throws
    g.fillUniform(f64, 4, 4);
    expect(f64.every((v) => v === 4)).toBe(true);
    expect(() => g.fillUniform(f64, 2, 1)).toThrow("uniform: low (2) must be <= high (1)");
  });

  it("normal: mean and variance of 1e5 samples, odd lengths filled", () => {
    const g = new Generator(4);
    for (const out of [new Float32Array(100_000), new Float64Array(100_001)]) {
      g.fillNormal(out, 1.5, 2);
      const [mean, variance] = meanVar(out);
      // sd of the mean is 2/sqrt(1e5) = 0.0063; of the variance about 4*sqrt(2/1e5) = 0.018
      expect(Math.abs(mean - 1.5)).toBeLessThan(0.035);
      expect(Math.abs(variance - 4)).toBeLessThan(0.1);
      expect(out.every((v) => Number.isFinite(v))).toBe(true);
      expect(out[out.length - 1]).not.toBe(0);
    }
    // about 68.3% within one sd
    const z = new Float64Array(100_000);
    g.fillNormal(z, 0, 1);
    let inside = 0;
    for (const v of z) if (Math.abs(v) < 1) inside++;
    expect(Math.abs(inside / z.length - 0.6827)).toBeLessThan(0.01);
    expect(() => g.fillNormal(z, 0, -1)).toThrow("normal: std must be >= 0, got -1");
  });

  it("randint: stays in [low, high), hits every value about equally often", () => {
    const g = new Generator(5);
    const out = new Int32Array(70_000);
    g.fillRandint(out, -3, 4);
    const counts = new Array<number>(7).fill(0);
    for (const v of out) {
      expect(v >= -3 && v < 4).toBe(true);
      counts[v + 3]++;
    }
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500); // sd is about 93
    const f = new Float64Array(1000);
    g.fillRandint(f, 0, 2);
    expect(f.every((v) => v === 0 || v === 1)).toBe(true);
    expect(f.some((v) => v === 0) && f.some((v) => v === 1)).toBe(true);
    // ranges past 2^32 use 53-bit draws
    g.fillRandint(f, 0, 2 ** 40);
    expect(f.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 40)).toBe(true);
    expect(Math.max(...f)).toBeGreaterThan(2 ** 39);
    const single = new Int32Array(5);
    g.fillRandint(single, 9, 10);
    expect(Array.from(single)).toEqual([9, 9, 9, 9, 9]);
  });

  it("randint rejects an empty range", () => {
    const g = new Generator();
    const out = new Int32Array(3);
    expect(() => g.fillRandint(out, 5, 5)).toThrow("randint: low (5) must be < high (5)");
    expect(() => g.fillRandint(out, 3, 1)).toThrow("randint: low (3) must be < high (1)");
  });

  it("randperm is a permutation, and shuffles", () => {
    const g = new Generator(6);
    for (const n of [0, 1, 2, 10, 1000]) {
      const p = g.randperm(n);
      expect(p).toBeInstanceOf(Int32Array);
      expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    const p = g.randperm(1000);
    let fixed = 0;
    for (let i = 0; i < p.length; i++) if (p[i] === i) fixed++;
    expect(fixed).toBeLessThan(10); // about 1 expected
    // every position of a 3-permutation is uniform: each of the 6 orders about 1/6 of the time
    const seen = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const key = Array.from(g.randperm(3)).join("");
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect(seen.size).toBe(6);
    for (const c of seen.values()) expect(Math.abs(c - 1000)).toBeLessThan(150);
    expect(() => g.randperm(-1)).toThrow("randperm: n must be a non-negative integer, got -1");
  });
});

describe("Generator.getState / setState", () => {
  it("continues the stream exactly from a snapshot, through JSON", () => {
    const g = new Generator(42);
    g.nextDouble();
    const saved = JSON.parse(JSON.stringify(g.getState()));
    const expected = [g.nextUint32(), g.nextDouble(), g.nextUint32()];
    const h = new Generator(7).setState(saved);
    expect([h.nextUint32(), h.nextDouble(), h.nextUint32()]).toEqual(expected);
    expect(h.initialSeed()).toBe(42);
  });

  it("rejects what getState never returns, changing nothing", () => {
    const g = new Generator(1);
    const before = g.getState();
    for (const bad of [null, {}, { seed: 1, state: [0, 0, 0, 0] }, { seed: 1, state: [1, 2, 3] }, { seed: -1, state: [1, 2, 3, 4] }, { seed: 1, state: [1.5, 2, 3, 4] }]) {
      expect(() => g.setState(bad as never)).toThrow(/^setState: expected \{ seed, state: four 32-bit integers/);
    }
    expect(g.getState()).toEqual(before);
  });
});
