import { describe, expect, it } from "vitest";
import { elu, gradcheck, hardtanh, leakyRelu, mish, randn, silu, softplus, tensor, type Tensor } from "../src/index";

/**
 * The parametrised activations (src/ops/activations.ts): values against the formulas on
 * plain numbers, gradcheck in float64 (inputs kept off the kinks), strided inputs, and the
 * dtype check. nn's layers-more.test.ts runs PyTorch 1.13's values for each.
 */

const f64 = { dtype: "float64" as const };
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplusRef = (x: number, b = 1, t = 20) => (x * b > t ? x : Math.log1p(Math.exp(x * b)) / b);

const OPS: [string, (x: Tensor) => Tensor, (x: number) => number][] = [
  ["leakyRelu", (x) => leakyRelu(x), (x) => (x > 0 ? x : 0.01 * x)],
  ["leakyRelu 0.3", (x) => leakyRelu(x, 0.3), (x) => (x > 0 ? x : 0.3 * x)],
  ["elu", (x) => elu(x), (x) => (x > 0 ? x : Math.expm1(x))],
  ["elu 0.5", (x) => elu(x, 0.5), (x) => (x > 0 ? x : 0.5 * Math.expm1(x))],
  ["softplus", (x) => softplus(x), (x) => softplusRef(x)],
  ["softplus 2, 3", (x) => softplus(x, 2, 3), (x) => softplusRef(x, 2, 3)],
  ["hardtanh", (x) => hardtanh(x), (x) => Math.min(Math.max(x, -1), 1)],
  ["hardtanh -0.5, 2", (x) => hardtanh(x, -0.5, 2), (x) => Math.min(Math.max(x, -0.5), 2)],
  ["silu", (x) => silu(x), (x) => x * sigmoid(x)],
  ["mish", (x) => mish(x), (x) => x * Math.tanh(Math.log1p(Math.exp(x)))],
];

// Away from every kink (0, the hardtanh bounds, softplus's thresholds 1.5 and 20).
const POINTS = [-25, -4.2, -1.7, -0.8, -0.3, 0.2, 0.7, 1.2, 1.8, 2.6, 4.1, 22];

describe("parametrised activations", () => {
  for (const [name, op, ref] of OPS) {
    it(`${name}: values, on a strided view too`, () => {
      const x = tensor(POINTS, f64);
      expect(op(x).toArray()).toEqual(POINTS.map(ref).map((v) => expect.closeTo(v, 14)));
      const m = randn([3, 4], f64);
      const viaView = op(m.transpose(0, 1)).toTypedArray();
      const viaCopy = op(m.transpose(0, 1).contiguous()).toTypedArray();
      expect(viaView).toEqual(viaCopy);
    });
    it(`${name}: gradcheck (float64)`, () => {
      expect(gradcheck((x) => op(x).mul(tensor(POINTS.map((_, i) => i - 5), f64)).sum(), [tensor(POINTS, { ...f64, requiresGrad: true })])).toBe(true);
    });
  }

  it("hardtanh has no gradient on its bounds, as torch", () => {
    const x = tensor([-1, 1, 0], { ...f64, requiresGrad: true });
    hardtanh(x).sum().backward();
    expect(x.grad?.toArray()).toEqual([0, 0, 1]);
  });

  it("softplus stays finite for large inputs, and is linear above the threshold", () => {
    const x = tensor([800, -800], { ...f64, requiresGrad: true });
    const y = softplus(x);
    y.sum().backward();
    expect(y.toArray()).toEqual([800, 0]);
    expect(x.grad?.toArray()).toEqual([1, 0]);
  });

  it("float32 in, float32 out; integer input throws", () => {
    expect(elu(tensor([-1, 2])).dtype).toBe("float32");
    expect(() => leakyRelu(tensor([1, 2], { dtype: "int32" }))).toThrow(/leakyRelu.*not implemented for 'int32'/);
  });
});
