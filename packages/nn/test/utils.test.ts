// nn.utils against torch 1.13 (fixtures/gen_clip.py -> clip.json): clipGradNorm_ for norm
// types 2, 1, inf, 0.5, 0 and -inf in float32 and float64 (total norms, clipped grads,
// null grads skipped, non-finite norms with and without errorIfNonfinite), clipGradValue_,
// and parametersToVector / vectorToParameters.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Parameter, utils } from "@minigrad/nn";
import { Tensor, tensor, zeros, type DType } from "@minigrad/tensor";

type Num = number | { $number: string };
const num = (x: Num): number => (typeof x === "number" ? x : Number(x.$number));
interface Base {
  dtype: "float32" | "float64";
  shapes: number[][];
  before: (Num[] | null)[];
  after: (Num[] | null)[];
}
interface NormCase extends Base {
  normType: Num;
  maxNorm: number;
  total: Num;
  totalDtype: DType;
}
interface NonfiniteCase extends Base {
  poison: Num;
  normType: Num;
  error: string | null;
  unchangedOnError: boolean;
  total: Num;
}
interface ValueCase extends Base {
  clipValue: number;
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/clip.json", import.meta.url), "utf8")) as {
  torch: string;
  clipGradNorm: NormCase[];
  nonfinite: NonfiniteCase[];
  clipGradValue: ValueCase[];
  vectorToParameters: { shapes: number[][]; shortLength: number; shortError: string };
};

function makeParams(c: Base): Tensor[] {
  return c.shapes.map((shape, i) => {
    const p = zeros(shape, { dtype: c.dtype, requiresGrad: true });
    const g = c.before[i];
    p.grad = g === null ? null : tensor(g.map(num), { dtype: c.dtype }).reshape(shape);
    return p;
  });
}

/**
 * float64 within 1e-12 relative; float32 within 1e-6 relative (a few ulp): torch reduces
 * float32 norms in float32 (its own summation order), minigrad in double rounded once, so
 * totals (and grads scaled by them) may differ in the last bits; the max norm is exact.
 */
function same(got: number, want: number, dtype: DType): boolean {
  if (Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want))) return true;
  return Math.abs(got - want) <= 1e-300 + (dtype === "float32" ? 1e-6 : 1e-12) * Math.abs(want);
}

function expectGrads(params: Tensor[], want: (Num[] | null)[], dtype: DType, what: string): void {
  params.forEach((p, i) => {
    const w = want[i];
    if (w === null) {
      expect(p.grad, `${what}: grad ${i}`).toBeNull();
      return;
    }
    const got = Array.from(p.grad!.contiguous().storage);
    got.forEach((g, j) => {
      if (!same(g, num(w[j]), dtype)) expect.fail(`${what}: grad ${i}[${j}] is ${g}, torch ${num(w[j])}`);
    });
  });
}

const label = (x: Num) => String(num(x));

describe(`clipGradNorm_ against torch ${fixture.torch}`, () => {
  it.each(fixture.clipGradNorm.map((c, i) => [`${i}: ${c.dtype} p=${label(c.normType)} max ${c.maxNorm}`, c] as const))(
    "%s",
    (_name, c) => {
      const params = makeParams(c);
      const total = utils.clipGradNorm_(params, c.maxNorm, { normType: num(c.normType) });
      expect(total.shape).toEqual([]);
      expect(total.dtype).toBe(c.totalDtype);
      expect(total.requiresGrad).toBe(false);
      if (!same(total.item(), num(c.total), c.dtype)) expect.fail(`total norm ${total.item()}, torch ${num(c.total)}`);
      expectGrads(params, c.after, c.dtype, "clipped");
    },
  );

  it.each(fixture.nonfinite.map((c) => [`${c.dtype} ${label(c.poison)} in a grad, p=${label(c.normType)}`, c] as const))(
    "%s",
    (_name, c) => {
      const params = makeParams(c);
      const run = () => utils.clipGradNorm_(params, 1.0, { normType: num(c.normType), errorIfNonfinite: true });
      if (c.error === null) run();
      else {
        expect(run).toThrow(c.error);
        expect(c.unchangedOnError).toBe(true);
        expectGrads(params, c.before, c.dtype, "after the error");
        const total = utils.clipGradNorm_(params, 1.0, { normType: num(c.normType) });
        if (!same(total.item(), num(c.total), c.dtype)) expect.fail(`total norm ${total.item()}, torch ${num(c.total)}`);
        expectGrads(params, c.after, c.dtype, "scaled by the non-finite norm");
      }
    },
  );

  it("returns tensor(0.) without grads, takes one tensor, and a generator once", () => {
    const p = zeros([3], { requiresGrad: true });
    const none = utils.clipGradNorm_([p], 1);
    expect(none.item()).toBe(0);
    expect(none.dtype).toBe("float32");
    p.grad = tensor([3, 4, 0]);
    expect(utils.clipGradNorm_(p, 100).item()).toBe(5);
    function* gen() {
      yield p;
    }
    const total = utils.clipGradNorm_(gen(), 1);
    expect(total.item()).toBe(5);
    expect(Array.from(p.grad.storage)).toEqual([3, 4, 0].map((x) => Math.fround(x * Math.fround(Math.fround(1 / Math.fround(5 + Math.fround(1e-6)))))));
  });

  it("scales grads in place without recording", () => {
    const p = new Parameter(zeros([2]));
    const g = tensor([30, 40]);
    p.grad = g;
    utils.clipGradNorm_([p], 1);
    expect(p.grad).toBe(g);
    expect(g.gradFn).toBeNull();
  });
});

describe("clipGradValue_", () => {
  it.each(fixture.clipGradValue.map((c) => [`${c.dtype} ±${c.clipValue}`, c] as const))("%s", (_name, c) => {
    const params = makeParams(c);
    utils.clipGradValue_(params, c.clipValue);
    expectGrads(params, c.after, c.dtype, "clamped");
  });
});

describe("parametersToVector / vectorToParameters", () => {
  it("flattens in order and writes back, differentiably and under noGrad respectively", () => {
    const a = new Parameter(tensor([[1, 2], [3, 4]]));
    const b = new Parameter(tensor([5, 6, 7]));
    const vec = utils.parametersToVector([a, b]);
    expect(vec.shape).toEqual([7]);
    expect(Array.from(vec.storage)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(vec.requiresGrad).toBe(true);
    vec.sum().backward();
    expect(Array.from(a.grad!.storage)).toEqual([1, 1, 1, 1]);

    utils.vectorToParameters(tensor([10, 20, 30, 40, 50, 60, 70, 80]), [a, b]);
    expect(a.toArray()).toEqual([[10, 20], [30, 40]]);
    expect(b.toArray()).toEqual([50, 60, 70]);
    expect(a.isLeaf && a.gradFn === null).toBe(true);
  });

  it("casts to each parameter's dtype", () => {
    const a = zeros([2], { dtype: "float32" });
    utils.vectorToParameters(tensor([0.1, 0.2], { dtype: "float64" }), [a]);
    expect(a.dtype).toBe("float32");
    expect(Array.from(a.storage)).toEqual([Math.fround(0.1), Math.fround(0.2)]);
  });

  it("throws torch's errors, before changing any parameter", () => {
    const { shapes, shortLength, shortError } = fixture.vectorToParameters;
    const params = shapes.map((s) => zeros(s));
    expect(() => utils.vectorToParameters(zeros([shortLength]).add(1), params)).toThrow(shortError);
    expect(params.every((p) => Array.from(p.storage).every((x) => x === 0))).toBe(true);
    expect(() => utils.vectorToParameters([1] as unknown as Tensor, params)).toThrow("expected Tensor, but got: Array");
    expect(() => utils.parametersToVector([zeros([2, 3]).transpose(0, 1)])).toThrow();
  });
});
