import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Tensor, gradcheck, gradgradcheck, manualSeed, randn } from "@minigrad/tensor";
import { Conv2d, ConvTranspose2d, functional as F } from "@minigrad/nn";

/**
 * Convolution and pooling against direct loops on random shapes, strides, paddings,
 * dilations and groups (fast-check), and gradcheck (float64) of every functional form.
 * The PyTorch traces are in conv.test.ts.
 */

const f64 = { dtype: "float64", requiresGrad: true } as const;

/** conv2d by its definition: out[b, o, y, x] = bias[o] + sum over (c in o's group, i, j). */
function conv2dRef(x: Tensor, w: Tensor, bias: Tensor | null, s: number[], p: number[], d: number[], groups: number): number[] {
  const [n, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const xv = x.toTypedArray(), wv = w.toTypedArray(), bv = bias?.toTypedArray();
  const oh = Math.floor((h + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((wd + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const out: number[] = [];
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const g = Math.floor(oc / (o / groups));
      for (let y = 0; y < oh; y++) {
        for (let xx = 0; xx < ow; xx++) {
          let sum = bv ? bv[oc] : 0;
          for (let ci = 0; ci < cg; ci++) {
            for (let i = 0; i < kh; i++) {
              for (let j = 0; j < kw; j++) {
                const iy = y * s[0] - p[0] + i * d[0], ix = xx * s[1] - p[1] + j * d[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                sum += xv[((b * c + g * cg + ci) * h + iy) * wd + ix] * wv[((oc * cg + ci) * kh + i) * kw + j];
              }
            }
          }
          out.push(sum);
        }
      }
    }
  }
  return out;
}

const convArb = fc.record({
  n: fc.integer({ min: 1, max: 2 }), groups: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 2 }),
  og: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 7 }),
  kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }),
  sh: fc.integer({ min: 1, max: 2 }), sw: fc.integer({ min: 1, max: 3 }),
  ph: fc.nat(2), pw: fc.nat(2), dh: fc.integer({ min: 1, max: 2 }), dw: fc.integer({ min: 1, max: 2 }), bias: fc.boolean(),
}).filter((a) => a.h + 2 * a.ph >= a.dh * (a.kh - 1) + 1 && a.w + 2 * a.pw >= a.dw * (a.kw - 1) + 1);

function close(got: Tensor, want: number[], tol: number): void {
  const g = got.toTypedArray();
  expect(g.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(g[i] - want[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i])));
}

describe("conv2d equals the direct loop", () => {
  it("on random shapes, strides, paddings, dilations and groups (float64 and float32)", () => {
    fc.assert(fc.property(convArb, fc.boolean(), (a, single) => {
      const dtype = single ? "float32" : "float64";
      const x = randn([a.n, a.cg * a.groups, a.h, a.w], { dtype });
      const w = randn([a.og * a.groups, a.cg, a.kh, a.kw], { dtype });
      const b = a.bias ? randn([a.og * a.groups], { dtype }) : null;
      const y = F.conv2d(x, w, b, { stride: [a.sh, a.sw], padding: [a.ph, a.pw], dilation: [a.dh, a.dw], groups: a.groups });
      close(y, conv2dRef(x, w, b, [a.sh, a.sw], [a.ph, a.pw], [a.dh, a.dw], a.groups), single ? 1e-5 : 1e-12);
    }), { numRuns: 60 });
  });

  it("on a LeNet-sized batch, through the wasm product (float32)", () => {
    const x = randn([8, 3, 14, 14]), w = randn([16, 3, 5, 5]), b = randn([16]);
    close(F.conv2d(x, w, b), conv2dRef(x, w, b, [1, 1], [0, 0], [1, 1], 1), 1e-5);
  });
});

/** max and mean pools by their definition (padding skipped; the mean divides by k*k, the padding counted). */
function poolRef(x: Tensor, k: number, s: number, p: number, d: number, kind: "max" | "avg", ceil: boolean): number[] {
  const [n, c, h, w] = x.shape;
  const v = x.toTypedArray();
  const size = (len: number) => {
    let o = Math.floor((len + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
    if (ceil && (o - 1) * s >= len + p) o--;
    return o;
  };
  const oh = size(h), ow = size(w);
  const out: number[] = [];
  for (let pl = 0; pl < n * c; pl++) {
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        let best = -Infinity, sum = 0;
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            const iy = y * s - p + i * d, ix = xx * s - p + j * d;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            best = Math.max(best, v[(pl * h + iy) * w + ix]);
            sum += v[(pl * h + iy) * w + ix];
          }
        }
        if (kind === "max") out.push(best);
        else {
          const hEnd = Math.min(y * s - p + k, h + p), wEnd = Math.min(xx * s - p + k, w + p);
          out.push(sum / ((hEnd - (y * s - p)) * (wEnd - (xx * s - p))));
        }
      }
    }
  }
  return out;
}

describe("pools equal the direct loop", () => {
  const poolArb = fc.record({
    h: fc.integer({ min: 3, max: 8 }), w: fc.integer({ min: 3, max: 8 }), k: fc.integer({ min: 1, max: 3 }),
    s: fc.integer({ min: 1, max: 3 }), p: fc.nat(1), d: fc.integer({ min: 1, max: 2 }), ceil: fc.boolean(),
  }).filter((a) => 2 * a.p <= a.k && a.h + 2 * a.p >= a.d * (a.k - 1) + 1 && a.w + 2 * a.p >= a.d * (a.k - 1) + 1);

  it("maxPool2d and avgPool2d on random windows", () => {
    fc.assert(fc.property(poolArb, (a) => {
      const x = randn([2, 2, a.h, a.w], { dtype: "float64" });
      close(F.maxPool2d(x, a.k, { stride: a.s, padding: a.p, dilation: a.d, ceilMode: a.ceil }), poolRef(x, a.k, a.s, a.p, a.d, "max", a.ceil), 0);
      close(F.avgPool2d(x, a.k, { stride: a.s, padding: a.p, ceilMode: a.ceil }), poolRef(x, a.k, a.s, a.p, 1, "avg", a.ceil), 1e-12);
    }), { numRuns: 60 });
  });
});

describe("gradcheck (float64) of convolution, pooling, padding, unfold and upsampling", () => {
  manualSeed(15);
  it("conv2d, conv1d and convTranspose2d in input, weight and bias", () => {
    expect(gradcheck((x, w, b) => F.conv2d(x, w, b, { stride: [2, 1], padding: 1, dilation: [1, 2], groups: 2 }),
      [randn([2, 4, 5, 5], f64), randn([4, 2, 2, 3], f64), randn([4], f64)])).toBe(true);
    expect(gradcheck((x, w, b) => F.conv2d(x, w, b, { padding: "same" }),
      [randn([1, 2, 4, 3], f64), randn([2, 2, 2, 2], f64), randn([2], f64)])).toBe(true);
    expect(gradcheck((x, w, b) => F.conv1d(x, w, b, { stride: 2, padding: 1 }),
      [randn([2, 2, 7], f64), randn([3, 2, 3], f64), randn([3], f64)])).toBe(true);
    expect(gradcheck((x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
      [randn([1, 4, 3, 2], f64), randn([4, 1, 3, 3], f64), randn([2], f64)])).toBe(true);
  });

  it("the pools, pad, unfold, fold and interpolate", () => {
    const x = randn([1, 2, 5, 6], f64);
    expect(gradcheck((a) => F.maxPool2d(a, 3, { stride: 2, padding: 1, ceilMode: true }), [x])).toBe(true);
    expect(gradcheck((a) => F.maxPool1d(a, 2, { dilation: 2 }), [randn([2, 2, 7], f64)])).toBe(true);
    expect(gradcheck((a) => F.avgPool2d(a, 3, { stride: 2, padding: 1, countIncludePad: false }), [x])).toBe(true);
    expect(gradcheck((a) => F.avgPool1d(a, 3, { stride: 2, padding: 1 }), [randn([2, 2, 7], f64)])).toBe(true);
    expect(gradcheck((a) => F.adaptiveAvgPool2d(a, [3, 4]), [x])).toBe(true);
    expect(gradcheck((a) => F.pad(a, [2, 1, 1, 3], "reflect"), [x])).toBe(true);
    expect(gradcheck((a) => F.unfold(a, 2, { stride: 2, padding: 1 }), [x])).toBe(true);
    expect(gradcheck((a) => F.fold(a, [3, 4], 2), [randn([1, 8, 6], f64)])).toBe(true);
    expect(gradcheck((a) => F.interpolate(a, { scaleFactor: [1.5, 2] }), [randn([1, 2, 3, 2], f64)])).toBe(true);
  });

  it("the layers, in their parameters too", () => {
    const conv = new Conv2d(2, 3, 3, { padding: 1, paddingMode: "circular", dtype: "float64" });
    expect(gradcheck((x, w, b) => {
      conv.weight = w as typeof conv.weight;
      conv.bias = b as typeof conv.bias;
      return conv.forward(x);
    }, [randn([1, 2, 3, 4], f64), conv.weight.detach().requiresGrad_(), (conv.bias as Tensor).detach().requiresGrad_()])).toBe(true);
    const up = new ConvTranspose2d(2, 2, 2, { stride: 2, dtype: "float64" });
    expect(gradcheck((x) => up.forward(x, [5, 5]), [randn([1, 2, 2, 2], f64)])).toBe(true);
  });
});

describe("ConvTranspose2d's outputSize", () => {
  it("picks the output padding that gives it (as torch's output_size), and refuses sizes out of range", () => {
    const up = new ConvTranspose2d(3, 2, 3, { stride: 2 });
    const x = randn([1, 3, 4, 4]);
    expect(up.forward(x, [10, 9]).shape).toEqual([1, 2, 10, 9]);
    expect(up.forward(x, [1, 2, 9, 10]).shape).toEqual([1, 2, 9, 10]);
    expect(() => up.forward(x, [12, 10])).toThrow(
      "requested an output size of [12, 10], but valid sizes range from [9, 9] to [10, 10] (for an input of [4, 4])",
    );
  });
});

describe("second derivatives (gradgradcheck, float64)", () => {
  it("of conv2d, convTranspose2d and conv1d: im2col and col2im are each other's recorded backward", () => {
    expect(gradgradcheck((x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1, groups: 2 }),
      [randn([1, 4, 4, 4], f64), randn([2, 2, 3, 3], f64), randn([2], f64)])).toBe(true);
    expect(gradgradcheck((x, w) => F.convTranspose2d(x, w, null, { stride: 2, padding: 1 }),
      [randn([1, 2, 3, 3], f64), randn([2, 2, 3, 3], f64)])).toBe(true);
    expect(gradgradcheck((x, w) => F.conv1d(x, w, null, { padding: "same" }), [randn([1, 2, 5], f64), randn([2, 2, 2], f64)])).toBe(true);
  });
});

describe("convTranspose2d is conv2d's adjoint", () => {
  it("<conv2d(y, w), x> = <y, convTranspose2d(x, w)> on random strides, paddings, dilations, output paddings and groups", () => {
    const arb = fc.record({
      n: fc.integer({ min: 1, max: 2 }), groups: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 2 }),
      og: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 4 }), w: fc.integer({ min: 1, max: 4 }),
      k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), p: fc.nat(1), d: fc.integer({ min: 1, max: 2 }),
      op: fc.nat(2),
    }).filter((a) => a.op < a.s && (a.h - 1) * a.s - 2 * a.p + a.d * (a.k - 1) + a.op + 1 >= 1 &&
      (a.w - 1) * a.s - 2 * a.p + a.d * (a.k - 1) + a.op + 1 >= 1);
    fc.assert(fc.property(arb, (a) => {
      const weight = randn([a.og * a.groups, a.cg, a.k, a.k], { dtype: "float64" });
      const x = randn([a.n, a.og * a.groups, a.h, a.w], { dtype: "float64" });
      const t = F.convTranspose2d(x, weight, null, { stride: a.s, padding: a.p, outputPadding: a.op, dilation: a.d, groups: a.groups });
      const y = randn(t.shape, { dtype: "float64" });
      const c = F.conv2d(y, weight, null, { stride: a.s, padding: a.p, dilation: a.d, groups: a.groups });
      expect(c.shape).toEqual(x.shape);
      const lhs = c.mul(x).sum().item(), rhs = y.mul(t).sum().item();
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * (1 + Math.abs(lhs)));
    }), { numRuns: 50 });
  });
});
