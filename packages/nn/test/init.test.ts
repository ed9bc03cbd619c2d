import { describe, expect, it } from "vitest";
import { Generator, Tensor, manualSeed, ones, zeros } from "@minigrad/tensor";
import { Linear, Parameter, init } from "@minigrad/nn";
import { loadFixture } from "./helpers/cases";

/**
 * Initialisers: torch's bounds and spreads (fixtures/nn.json, from torch 1.13). The streams
 * differ from torch's, so values are compared statistically: the maximum must sit just
 * under the bound, and the variance within a few standard errors of the target.
 */
interface InitFixture {
  linear1000: { bound: number; weightMax: number; weightMean: number; weightVar: number; biasMax: number };
  gains: Record<string, number>;
  leakyReluGain: number;
  spreads: Record<string, { max: number; std: number }>;
}
const fixture = loadFixture<{ init: InitFixture }>("nn.json").init;

function stats(t: Tensor): { max: number; mean: number; variance: number } {
  const v = t.toTypedArray();
  let sum = 0;
  let max = 0;
  for (const x of v) {
    sum += x;
    max = Math.max(max, Math.abs(x));
  }
  const mean = sum / v.length;
  let sq = 0;
  for (const x of v) sq += (x - mean) ** 2;
  return { max, mean, variance: sq / (v.length - 1) };
}

describe("Linear's default init", () => {
  it("draws a Linear(1000, 1000) weight uniform within +-1/sqrt(1000), with torch's variance", () => {
    manualSeed(0);
    const fc = new Linear(1000, 1000);
    const { bound, weightVar, biasMax } = fixture.linear1000;
    const w = stats(fc.weight);
    expect(w.max).toBeLessThanOrEqual(bound);
    expect(w.max).toBeGreaterThan(bound * 0.9999);
    expect(Math.abs(w.mean)).toBeLessThan(5 * Math.sqrt(weightVar / 1e6));
    // Var of U(-b, b) is b^2/3; the sample variance of 1e6 draws has a relative error ~0.09%.
    expect(Math.abs(w.variance - weightVar) / weightVar).toBeLessThan(0.005);
    expect(Math.abs(w.variance - bound ** 2 / 3) / (bound ** 2 / 3)).toBeLessThan(0.005);
    const b = stats(fc.bias as Tensor);
    expect(b.max).toBeLessThanOrEqual(bound);
    expect(b.max).toBeGreaterThan(biasMax * 0.99);
  });
});

describe("init", () => {
  it("computes torch's gains", () => {
    for (const [name, gain] of Object.entries(fixture.gains)) {
      expect(init.calculateGain(name as init.Nonlinearity)).toBeCloseTo(gain, 15);
    }
    expect(init.calculateGain("leaky_relu", Math.sqrt(5))).toBe(fixture.leakyReluGain);
    expect(() => init.calculateGain("swish" as init.Nonlinearity)).toThrow("Unsupported nonlinearity swish");
  });

  it("computes fans from dims 1 and 0 times the receptive field", () => {
    expect(init.calculateFanInAndFanOut(zeros([200, 300, 3]))).toEqual({ fanIn: 900, fanOut: 600 });
    expect(() => init.calculateFanInAndFanOut(zeros([3]))).toThrow(
      "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions",
    );
  });

  const spreads: Record<string, (t: Tensor) => Tensor> = {
    kaimingUniform: (t) => init.kaimingUniform_(t),
    kaimingUniformFanOutTanh: (t) => init.kaimingUniform_(t, { mode: "fanOut", nonlinearity: "tanh" }),
    kaimingNormal: (t) => init.kaimingNormal_(t, { a: 0.2, nonlinearity: "leaky_relu" }),
    xavierUniform: (t) => init.xavierUniform_(t, 2),
    xavierNormal: (t) => init.xavierNormal_(t),
  };
  for (const [name, fill] of Object.entries(spreads)) {
    it(`${name}_ matches torch's spread on a (200, 300, 3) tensor`, () => {
      manualSeed(1);
      const want = fixture.spreads[name];
      const got = stats(fill(zeros([200, 300, 3], { dtype: "float64" })));
      // 180000 draws: the sample std has a relative standard error under 0.2%.
      expect(Math.abs(Math.sqrt(got.variance) - want.std) / want.std).toBeLessThan(0.01);
      if (name.includes("Uniform")) {
        const bound = want.std * Math.sqrt(3);
        expect(got.max).toBeLessThanOrEqual(bound * 1.01);
        expect(got.max).toBeGreaterThan(want.max * 0.99);
      }
    });
  }

  it("takes kaiming's `a` positionally too: a = sqrt(5) gives Linear's U(-1/sqrt(fanIn), 1/sqrt(fanIn))", () => {
    const w = init.kaimingUniform_(zeros([50, 400]), Math.sqrt(5));
    const { max } = stats(w);
    expect(max).toBeLessThanOrEqual(1 / Math.sqrt(400));
    expect(max).toBeGreaterThan(0.99 / Math.sqrt(400));
    expect(() => init.kaimingNormal_(zeros([2, 2]), { mode: "fanAvg" as init.FanMode })).toThrow(
      "Mode fanAvg not supported, please use one of fanIn, fanOut",
    );
  });

  it("fills in place without recording, keeping a parameter a leaf", () => {
    const p = new Parameter(zeros([3, 4]));
    const storage = p.storage;
    const version = p.version;
    expect(init.uniform_(p, -1, 1)).toBe(p);
    expect(p.storage).toBe(storage);
    expect(p.isLeaf && p.gradFn === null).toBe(true);
    expect(p.version).toBeGreaterThan(version);
    expect(p.toTypedArray().every((v) => v >= -1 && v < 1)).toBe(true);
  });

  it("writes through views and follows a given generator", () => {
    const t = zeros([4, 4]);
    init.normal_(t.transpose(0, 1).narrow(0, 1, 2), 3, 0.5, { generator: new Generator(9) });
    const u = zeros([4, 4]);
    init.normal_(u.transpose(0, 1).narrow(0, 1, 2), 3, 0.5, { generator: new Generator(9) });
    expect(t.toArray()).toEqual(u.toArray());
    expect(t.select(1, 0).toArray()).toEqual([0, 0, 0, 0]);
    expect(t.select(1, 1).toTypedArray().every((v) => v !== 0)).toBe(true);
  });

  it("fills constants and rejects integer tensors", () => {
    expect(init.ones_(zeros([2])).toArray()).toEqual([1, 1]);
    expect(init.zeros_(ones([2])).toArray()).toEqual([0, 0]);
    expect(init.constant_(zeros([2]), 0.25).toArray()).toEqual([0.25, 0.25]);
    expect(() => init.uniform_(zeros([2], { dtype: "int32" }))).toThrow("expected a floating point tensor, got int32");
  });
});
