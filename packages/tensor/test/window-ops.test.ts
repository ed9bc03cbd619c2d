import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ArgumentError, ShapeError, Tensor, arange, avgPool2d, col2im, gradcheck, im2col, manualSeed, maxPool2dWithIndices, pad,
  randn, remap, tensor, type SlidingWindow2d,
} from "../src/index";

/**
 * The sliding-window primitives (ops/unfold.ts, ops/pool.ts, ops/remap.ts, ops/pad.ts): values
 * against direct loops, gradcheck in float64, and their argument checks. nn's tests run them
 * against PyTorch (packages/nn/test/conv.test.ts).
 */

const f64 = { dtype: "float64", requiresGrad: true } as const;

function win(k: [number, number], s: [number, number], p: [number, number, number, number], d: [number, number]): SlidingWindow2d {
  return { kernelSize: k, stride: s, padding: p, dilation: d };
}

/** im2col by its definition, one element at a time (plain arrays). */
function im2colRef(x: Tensor, w: SlidingWindow2d): number[] {
  const [n, c, h, wd] = x.shape;
  const v = x.toTypedArray();
  const [kh, kw] = w.kernelSize, [sh, sw] = w.stride, [dh, dw] = w.dilation;
  const [pt, pb, pl, pr] = w.padding;
  const oh = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((wd + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const out: number[] = [];
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          for (let y = 0; y < oh; y++) {
            for (let xx = 0; xx < ow; xx++) {
              const iy = y * sh - pt + i * dh, ix = xx * sw - pl + j * dw;
              out.push(iy >= 0 && iy < h && ix >= 0 && ix < wd ? v[((b * c + ch) * h + iy) * wd + ix] : 0);
            }
          }
        }
      }
    }
  }
  return out;
}

const windowArb = fc.record({
  n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 7 }),
  kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }),
  sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
  dh: fc.integer({ min: 1, max: 2 }), dw: fc.integer({ min: 1, max: 2 }),
  pt: fc.nat(2), pb: fc.nat(2), pl: fc.nat(2), pr: fc.nat(2),
}).filter((a) => a.h + a.pt + a.pb >= a.dh * (a.kh - 1) + 1 && a.w + a.pl + a.pr >= a.dw * (a.kw - 1) + 1);

describe("im2col / col2im", () => {
  it("equals the definition on random shapes, strides, paddings and dilations, in both layouts", () => {
    fc.assert(fc.property(windowArb, fc.boolean(), (a, batchInner) => {
      const x = randn([a.n, a.c, a.h, a.w], { dtype: "float64" });
      const w = win([a.kh, a.kw], [a.sh, a.sw], [a.pt, a.pb, a.pl, a.pr], [a.dh, a.dw]);
      const cols = im2col(x, w, { batchInner });
      expect(Array.from(cols.toTypedArray())).toEqual(im2colRef(x, w));
    }), { numRuns: 60 });
  });

  it("col2im is im2col's adjoint: <im2col(x), y> = <x, col2im(y)>", () => {
    fc.assert(fc.property(windowArb, (a) => {
      const x = randn([a.n, a.c, a.h, a.w], { dtype: "float64" });
      const w = win([a.kh, a.kw], [a.sh, a.sw], [a.pt, a.pb, a.pl, a.pr], [a.dh, a.dw]);
      const cols = im2col(x, w);
      const y = randn(cols.shape, { dtype: "float64" });
      const lhs = cols.mul(y).sum().item();
      const rhs = x.mul(col2im(y, [a.h, a.w], w)).sum().item();
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * (1 + Math.abs(lhs)));
    }), { numRuns: 40 });
  });

  it("passes gradcheck (float64), each the other's backward, on a strided input", () => {
    manualSeed(3);
    const w = win([2, 3], [2, 1], [1, 0, 2, 1], [1, 2]);
    const x = randn([2, 2, 5, 4], f64);
    expect(gradcheck((a) => im2col(a, w), [x])).toBe(true);
    expect(gradcheck((a) => im2col(a.transpose(2, 3), w, { batchInner: true }), [randn([1, 2, 4, 5], f64)])).toBe(true);
    const cols = im2col(x.detach(), w);
    expect(gradcheck((c) => col2im(c, [5, 4], w), [randn(cols.shape, f64)])).toBe(true);
    expect(im2col(x, w).gradFn?.name).toBe("Im2ColBackward");
  });

  it("refuses bad windows and shapes, naming them", () => {
    const x = randn([1, 1, 3, 3]);
    expect(() => im2col(x, win([4, 1], [1, 1], [0, 0, 0, 0], [1, 1]))).toThrow(ShapeError);
    expect(() => im2col(x, win([1, 1], [0, 1], [0, 0, 0, 0], [1, 1]))).toThrow(ArgumentError);
    expect(() => im2col(randn([3, 3]), win([1, 1], [1, 1], [0, 0, 0, 0], [1, 1]))).toThrow(/expected a 4-D input/);
    expect(() => col2im(randn([1, 4, 5]), [3, 3], win([2, 2], [1, 1], [0, 0, 0, 0], [1, 1]))).toThrow(ShapeError);
    expect(() => im2col(arange(9).reshape([1, 1, 3, 3]), win([1, 1], [1, 1], [0, 0, 0, 0], [1, 1]))).toThrow(/floating point/);
  });
});

describe("maxPool2dWithIndices", () => {
  it("takes the first maximum on ties, skips the padding, and lets NaN win (torch's CPU rules)", () => {
    const x = tensor([[1, 3, 3], [2, NaN, 0], [5, 5, 1]]).reshape([1, 1, 3, 3]);
    const [y, i] = maxPool2dWithIndices(x, { kernelSize: [2, 2], stride: [1, 1], padding: [0, 0], dilation: [1, 1], outputSize: [2, 2] });
    expect(Array.from(i.toTypedArray())).toEqual([4, 4, 4, 4]);
    expect(Number.isNaN(y.toTypedArray()[0])).toBe(true);
    const z = tensor([[-1, -3], [-2, -4]]).reshape([1, 1, 2, 2]);
    const [v, j] = maxPool2dWithIndices(z, { kernelSize: [2, 2], stride: [2, 2], padding: [1, 1], dilation: [1, 1], outputSize: [2, 2] });
    expect(v.toArray()).toEqual([[[[-1, -3], [-2, -4]]]]);
    expect(Array.from(j.toTypedArray())).toEqual([0, 1, 2, 3]);
  });

  it("keeps those rules on the unrolled 2x2, stride 2 path (first of ties, last NaN, -Infinity)", () => {
    const x = tensor([
      [1, 3, NaN, 0, -Infinity, -Infinity],
      [3, 2, 5, NaN, -Infinity, -Infinity],
    ]).reshape([1, 1, 2, 6]);
    const [y, i] = maxPool2dWithIndices(x, { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], outputSize: [1, 3] });
    const v = y.toTypedArray();
    expect([v[0], Number.isNaN(v[1]), v[2]]).toEqual([3, true, -Infinity]);
    expect(Array.from(i.toTypedArray())).toEqual([1, 9, 4]);
  });

  it("passes gradcheck (float64); overlapping windows add their gradients", () => {
    const x = randn([2, 2, 5, 6], f64);
    const window = { kernelSize: [3, 2], stride: [1, 2], padding: [1, 1], dilation: [1, 2], outputSize: [5, 3] } as const;
    expect(gradcheck((a) => maxPool2dWithIndices(a, window)[0], [x])).toBe(true);
    const flat = tensor([[0, 1, 0], [0, 0, 0], [0, 0, 0]], { requiresGrad: true });
    maxPool2dWithIndices(flat.reshape([1, 1, 3, 3]), { kernelSize: [2, 2], stride: [1, 1], padding: [0, 0], dilation: [1, 1], outputSize: [2, 2] })[0].sum().backward();
    expect(flat.grad!.toArray()).toEqual([[0, 2, 0], [1, 1, 0], [0, 0, 0]]); // all-zero windows take their first element
  });
});

describe("avgPool2d (windows per dim)", () => {
  const rows = { start: Int32Array.from([0, 1, 3]), end: Int32Array.from([2, 4, 4]), divisor: Float64Array.from([2, 3, 2]) };
  const cols = { start: Int32Array.from([0, 2]), end: Int32Array.from([3, 5]), divisor: Float64Array.from([3, 4]) };

  it("averages each window by its divisors, and passes gradcheck (float64)", () => {
    const x = randn([1, 2, 4, 5], f64);
    const y = avgPool2d(x, rows, cols);
    const v = x.detach();
    const want = v.slice(2, 1, 4).slice(3, 2, 5).sum([2, 3]).div(12);
    expect(y.select(2, 1).select(2, 1).sub(want).abs().amax().item()).toBeLessThan(1e-12);
    expect(gradcheck((a) => avgPool2d(a, rows, cols), [x])).toBe(true);
  });

  it("refuses windows outside the input", () => {
    const bad = { ...rows, end: Int32Array.from([2, 4, 5]) };
    expect(() => avgPool2d(randn([1, 1, 4, 5]), bad, cols)).toThrow(/invalid row windows/);
  });
});

describe("remap and pad", () => {
  it("gathers by index maps with a fill, and adds repeated indices in the backward (gradcheck)", () => {
    const x = randn([2, 3, 4], f64);
    const maps = [Int32Array.from([2, -1, 0, 2]), Int32Array.from([3, 3, 1])];
    const y = remap(x, maps, 7);
    expect(y.shape).toEqual([2, 4, 3]);
    expect(y.select(1, 1).toArray()).toEqual([[7, 7, 7], [7, 7, 7]]);
    expect(gradcheck((a) => remap(a, maps, 1.5), [x])).toBe(true);
    expect(() => remap(x, [Int32Array.from([4])])).toThrow(ArgumentError);
  });

  it("pads in every mode (torch's values) and passes gradcheck (float64)", () => {
    const x = arange(5).double().reshape([1, 1, 5]);
    const row = (t: Tensor) => (t.toArray() as number[][][])[0][0];
    expect(row(pad(x, [2, 1], "constant", 9))).toEqual([9, 9, 0, 1, 2, 3, 4, 9]);
    expect(row(pad(x, [2, 3], "reflect"))).toEqual([2, 1, 0, 1, 2, 3, 4, 3, 2, 1]);
    expect(row(pad(x, [2, 1], "replicate"))).toEqual([0, 0, 0, 1, 2, 3, 4, 4]);
    expect(row(pad(x, [2, 5], "circular"))).toEqual([3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    expect(row(pad(x, [-1, 2], "circular"))).toEqual([1, 2, 3, 4, 1, 2]);
    expect(row(pad(x, [-2, -1]))).toEqual([2, 3]);
    const y = randn([2, 2, 3, 4], f64);
    for (const mode of ["constant", "reflect", "replicate", "circular"] as const) {
      expect(gradcheck((a) => pad(a, [2, 1, 1, 2], mode), [y]), mode).toBe(true);
    }
    expect(gradcheck((a) => pad(a, [1, 0, 0, 1, 1, 1, 1, 0]), [randn([2, 2, 2, 2], f64)])).toBe(true);
  });

  it("pads more than three dims (constant) the way one pad per dim would", () => {
    const x = randn([2, 1, 2, 3, 2]);
    const all = pad(x, [1, 0, 0, 2, 1, 1, 2, 0]);
    const steps = pad(pad(x, [1, 0, 0, 2, 1, 1]), [0, 0, 0, 0, 0, 0, 2, 0]);
    expect(all.shape).toEqual([2, 3, 4, 5, 3]);
    expect(all.toArray()).toEqual(steps.toArray());
  });

  it("throws torch's messages", () => {
    const x = randn([1, 2, 3, 3]);
    expect(() => pad(x, [1])).toThrow("Padding length must be divisible by 2");
    expect(() => pad(x, [3, 3], "reflect")).toThrow("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now");
    expect(() => pad(x, [3, 3, 1, 1], "reflect")).toThrow("Argument #4: Padding size should be less than");
    expect(() => pad(x, [4, 0, 0, 0], "circular")).toThrow("Padding value causes wrapping around more than once.");
    expect(() => pad(x, [1, 1], "wrap" as never)).toThrow("Unrecognised padding mode wrap");
  });
});
