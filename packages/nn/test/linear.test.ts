import { describe, expect, it } from "vitest";
import { Tensor, gradcheck, randn } from "@minigrad/tensor";
import { functional as F } from "@minigrad/nn";

/**
 * F.linear's fused primitive (nn/src/functional/linear.ts) against the composition it
 * replaces, x.matmul(W.T).add(b) on the input flattened to 2-D (torch's matmul folds the
 * leading dims of an N-D input the same way): the same values and gradients, bit for bit,
 * and gradients laid out like their tensors.
 */

function leaves(seed: number, shapes: number[][], dtype: "float32" | "float64" = "float32"): Tensor[] {
  return shapes.map((s, i) => randn(s, { dtype }).mul(1 + ((seed + i) % 3)).detach().requiresGrad_());
}

function bits(t: Tensor | null): number[] {
  if (t === null) throw new Error("no gradient");
  return Array.from(t.contiguous().storage);
}

describe("F.linear", () => {
  const cases: [string, number[], boolean][] = [
    ["2-D input with bias", [7, 5], true],
    ["2-D input without bias", [7, 5], false],
    ["3-D input", [2, 3, 5], true],
    ["1-D input", [5], true],
  ];
  for (const [name, inputShape, withBias] of cases) {
    it(`${name}: same values and grads as matmul + add`, () => {
      const [x, w, b] = leaves(1, [inputShape, [4, 5], [4]]);
      const [x2, w2, b2] = [x, w, b].map((t) => t.detach().clone().requiresGrad_());
      const y = F.linear(x, w, withBias ? b : null);
      const flat = x2.reshape([-1, 5]).matmul(w2.T);
      const composed = (withBias ? flat.add(b2) : flat).reshape(y.shape);
      expect(y.shape).toEqual(composed.shape);
      expect(bits(y)).toEqual(bits(composed));
      const g = randn(y.shape);
      y.backward(g);
      composed.backward(g);
      expect(bits(x.grad)).toEqual(bits(x2.grad));
      expect(bits(w.grad)).toEqual(bits(w2.grad));
      if (withBias) expect(bits(b.grad)).toEqual(bits(b2.grad));
      expect(w.grad?.isContiguous).toBe(true);
    });
  }

  it("gradcheck in float64, with and without bias", () => {
    const [x, w, b] = leaves(2, [[3, 4], [2, 4], [2]], "float64");
    expect(gradcheck((x, w, b) => F.linear(x, w, b), [x, w, b])).toBe(true);
    expect(gradcheck((x, w) => F.linear(x, w), [x, w])).toBe(true);
  });

  it("a bias of another shape or dtype takes the general path (and broadcasts as torch)", () => {
    const [x, w] = leaves(3, [[3, 4], [2, 4]]);
    const b1 = randn([1]).requiresGrad_();
    const y = F.linear(x, w, b1);
    y.sum().backward();
    expect(b1.grad?.shape).toEqual([1]);
    expect(() => F.linear(x, w, randn([3]))).toThrow(/broadcast/);
  });

  it("names the shapes when they do not fit", () => {
    const [x, w, b] = leaves(4, [[3, 5], [2, 4], [2]]);
    expect(() => F.linear(x, w, b)).toThrow(/3x5 and 4x2/);
  });
});
