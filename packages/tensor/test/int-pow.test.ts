import { describe, expect, it } from "vitest";
import { ArgumentError, tensor } from "../src/index";

describe("integer pow", () => {
  it("int32 pow with a negative integer exponent throws torch's error (it returned 0s)", () => {
    const x = tensor([2, 3], { dtype: "int32" });
    expect(() => x.pow(-1)).toThrow(ArgumentError);
    expect(() => x.pow(-1)).toThrow(
      "pow: Integers to negative integer powers are not allowed. (int32 tensor of shape [2], exponent -1)",
    );
    expect(() => tensor([true]).pow(-2)).toThrow(/Integers to negative integer powers are not allowed/);
  });

  it("non-negative and fractional exponents still work, and tensor exponents follow torch's integer kernel", () => {
    const x = tensor([2, 3], { dtype: "int32" });
    expect(x.pow(2).toArray()).toEqual([4, 9]);
    expect(x.pow(2).dtype).toBe("int32");
    expect(x.pow(-0.5).dtype).toBe("float32");
    expect(tensor([1, -1, 2], { dtype: "int32" }).pow(tensor([-1, -1, -1], { dtype: "int32" })).toArray()).toEqual([1, -1, 0]);
  });
});
