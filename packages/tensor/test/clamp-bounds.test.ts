import { describe, expect, it } from "vitest";
import { DTypeError, tensor } from "../src/index";

describe("clamp as torch: min(max(x, min), max)", () => {
  it("clamp(1, 0) sets every element to max, as torch (NaN stays NaN)", () => {
    expect(tensor([0, 0.5, 2]).clamp(1, 0).toArray()).toEqual([0, 0, 0]);
    expect(tensor([NaN, 3]).clamp(1, 0).toArray()).toEqual([NaN, 0]);
    const x = tensor([0, 0.5, 2], { requiresGrad: true });
    x.clamp(1, 0).sum().backward();
    expect(x.grad?.toArray()).toEqual([0, 0, 0]); // torch's mask (x >= min) * (x <= max) is empty
  });

  it("bounds take part in type promotion: int32.clamp(0.5) is float32", () => {
    const i = tensor([0, 1, 3], { dtype: "int32" });
    const f = i.clamp(0.5, 2.5);
    expect(f.dtype).toBe("float32");
    expect(f.toArray()).toEqual([0.5, 1, 2.5]);
    expect(i.clamp(1, 2).dtype).toBe("int32");
    expect(tensor([true, false]).clamp(0, 1).dtype).toBe("int32");
    expect(() => i.clamp_(0.5)).toThrow(new DTypeError("clamp_: result type float32 can't be cast to the desired output type int32"));
  });
});
