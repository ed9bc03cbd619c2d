import { describe, expect, it } from "vitest";
import { Tensor, cat, gradcheck, manualSeed, randn, stack, tensor, where } from "../src/index";

/**
 * Every differentiable op against central finite differences in float64.
 * Inputs are kept away from kinks (relu/abs/clamp at 0, ties of maximum) where the
 * derivative is not defined and finite differences would disagree by design.
 */
manualSeed(0);
const r = (...shape: number[]) => randn(shape, { dtype: "float64", requiresGrad: true });
/** Values in (0.5, 2.5): safe for log, sqrt, pow and division. */
const pos = (...shape: number[]) =>
  tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => 0.5 + ((i * 0.618) % 2)), {
    shape, dtype: "float64", requiresGrad: true,
  });
/** Values with |x| >= 0.2, so relu/abs/clamp are differentiable there. */
const away = (...shape: number[]) => {
  const t = randn(shape, { dtype: "float64" });
  const v = t.toTypedArray();
  for (let i = 0; i < v.length; i++) v[i] = v[i] >= 0 ? v[i] + 0.2 : v[i] - 0.2;
  return tensor(v, { shape, requiresGrad: true });
};

const cases: [string, (...xs: Tensor[]) => Tensor, () => Tensor[]][] = [
  ["add (broadcast)", (a, b) => a.add(b), () => [r(2, 3), r(3)]],
  ["sub (broadcast)", (a, b) => a.sub(b), () => [r(2, 1), r(1, 4)]],
  ["mul (broadcast)", (a, b) => a.mul(b), () => [r(2, 3, 1), r(4)]],
  ["div", (a, b) => a.div(b), () => [r(2, 3), pos(2, 3)]],
  ["pow scalar", (a) => a.pow(2.5), () => [pos(3)]],
  ["pow tensor", (a, b) => a.pow(b), () => [pos(2, 2), r(2, 2)]],
  ["maximum", (a, b) => a.maximum(b), () => [r(3, 3), r(3, 3)]],
  ["minimum", (a, b) => a.minimum(b), () => [r(3, 3), r(3, 3)]],
  ["neg", (a) => a.neg(), () => [r(4)]],
  ["exp", (a) => a.exp(), () => [r(2, 2)]],
  ["log", (a) => a.log(), () => [pos(5)]],
  ["sqrt", (a) => a.sqrt(), () => [pos(5)]],
  ["abs", (a) => a.abs(), () => [away(5)]],
  ["tanh", (a) => a.tanh(), () => [r(5)]],
  ["sigmoid", (a) => a.sigmoid(), () => [r(5)]],
  ["relu", (a) => a.relu(), () => [away(6)]],
  ["gelu", (a) => a.gelu(), () => [r(6)]],
  ["clamp", (a) => a.clamp(-0.1, 0.1), () => [away(6)]],
  ["where", (a, b) => where(a.gt(0), a, b), () => [r(3, 2), r(2)]],
  ["matmul 2d", (a, b) => a.matmul(b), () => [r(3, 4), r(4, 2)]],
  ["matmul vec", (a, b) => a.matmul(b), () => [r(4), r(4, 2)]],
  ["matmul batched broadcast", (a, b) => a.matmul(b), () => [r(2, 1, 2, 3), r(3, 3, 2)]],
  ["matmul transposed view", (a, b) => a.transpose(0, 1).matmul(b), () => [r(3, 2), r(3, 2)]],
  ["sum dims keepdim", (a) => a.sum([0, 2], true), () => [r(2, 3, 2)]],
  ["mean", (a) => a.mean(1), () => [r(3, 4)]],
  ["amax (distinct values)", (a) => a.amax(1), () => [r(3, 4)]],
  ["amin all", (a) => a.amin(), () => [r(3, 4)]],
  ["var unbiased", (a) => a.var(0), () => [r(4, 3)]],
  ["softmax", (a) => a.softmax(0), () => [r(3, 4)]],
  ["logSoftmax", (a) => a.logSoftmax(-1), () => [r(3, 4)]],
  ["reshape of a transpose (copy)", (a) => a.transpose(0, 1).reshape([-1]), () => [r(3, 4)]],
  ["permute", (a) => a.permute([2, 0, 1]), () => [r(2, 3, 2)]],
  ["expand", (a) => a.expand([3, 2, 4]), () => [r(2, 1)]],
  ["narrow", (a) => a.narrow(1, 1, 2), () => [r(3, 4)]],
  ["select", (a) => a.select(1, -1), () => [r(3, 4)]],
  ["slice with step", (a) => a.slice(0, 1, null, 2), () => [r(5, 2)]],
  ["squeeze/unsqueeze/flatten", (a) => a.unsqueeze(0).squeeze().flatten(), () => [r(2, 1, 3)]],
  ["cat", (a, b) => cat([a, b], 1), () => [r(2, 2), r(2, 3)]],
  ["stack", (a, b) => stack([a, b], 1), () => [r(2, 3), r(2, 3)]],
  ["clone and contiguous", (a) => a.transpose(0, 1).contiguous().clone(), () => [r(2, 3)]],
  ["in-place on a non-leaf", (a, b) => a.mul(1).mul_(b).add_(b), () => [r(3), r(3)]],
  ["composite expression", (a, b) => a.tanh().add(a.sigmoid()).mul(b).sum(1), () => [r(2, 3), r(3)]],
];

describe("gradcheck: autograd matches finite differences in float64 for every op", () => {
  for (const [name, fn, make] of cases) {
    it(name, () => {
      expect(gradcheck(fn, make())).toBe(true);
    });
  }

  it("reports a wrong gradient with the input, the entry and both values", () => {
    // A deliberately wrong backward: claim d(2x)/dx = 3.
    const wrong = (x: Tensor) => {
      const y = x.detach().mul(2);
      return y.requiresGrad_(false).add(x.mul(3)).sub(x.detach().mul(3));
    };
    expect(() => gradcheck(wrong, [r(2)])).toThrow(/gradcheck: Jacobian mismatch .* numerical (2|1\.99).* analytical 3/);
  });

  it("insists on float64 inputs", () => {
    expect(() => gradcheck((a) => a.exp(), [randn([2], { requiresGrad: true })])).toThrow(
      "gradcheck: input 0 is float32; inputs that require grad must be float64",
    );
  });
});
