import { describe, expect, it } from "vitest";
import { tensor } from "../src/index";

describe("maximum/minimum gradients use torch's masks (== halves, < or > zeroes)", () => {
  it("where an input is NaN both inputs get the whole gradient (it was 0 for both)", () => {
    for (const op of ["maximum", "minimum"] as const) {
      const a = tensor([NaN, 1, 2, 3], { requiresGrad: true });
      const b = tensor([0, NaN, 2, 1], { requiresGrad: true });
      const y = a[op](b);
      y.sum().backward();
      const [ga, gb] = [a.grad?.toArray(), b.grad?.toArray()];
      expect(ga).toEqual(op === "maximum" ? [1, 1, 0.5, 1] : [1, 1, 0.5, 0]);
      expect(gb).toEqual(op === "maximum" ? [1, 1, 0.5, 0] : [1, 1, 0.5, 1]);
    }
  });
});
