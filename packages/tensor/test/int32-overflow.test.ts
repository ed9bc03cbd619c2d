import { describe, expect, it } from "vitest";
import { ArgumentError, arange, full, linspace, randint, tensor, zeros } from "../src/index";

const OVERFLOW = /value cannot be converted to type int32 without overflow/;

describe("numbers stored into int32 tensors are checked, as torch's checked conversion", () => {
  it("tensor() rejects 2^31, 2^40 and NaN instead of wrapping them", () => {
    expect(() => tensor([2 ** 31], { dtype: "int32" })).toThrow(ArgumentError);
    expect(() => tensor([2 ** 31], { dtype: "int32" })).toThrow(
      "tensor: value cannot be converted to type int32 without overflow (got 2147483648 at flat index 0)",
    );
    expect(() => tensor([[1, 2 ** 40]], { dtype: "int32" })).toThrow(/got 1099511627776 at flat index 1/);
    expect(() => tensor([NaN], { dtype: "int32" })).toThrow(OVERFLOW);
    expect(() => tensor([-Infinity], { dtype: "int32" })).toThrow(OVERFLOW);
    expect(() => tensor(new Float64Array([2 ** 31]), { dtype: "int32" })).toThrow(OVERFLOW);
  });

  it("tensor() keeps the int32 range itself, and truncates fractions toward zero as torch", () => {
    expect(tensor([2 ** 31 - 1, -(2 ** 31)], { dtype: "int32" }).toArray()).toEqual([2147483647, -2147483648]);
    expect(tensor([1.9, -1.9], { dtype: "int32" }).toArray()).toEqual([1, -1]);
  });

  it("randint rejects bounds an int32 cannot hold", () => {
    expect(() => randint(0, 2 ** 40, [3])).toThrow(OVERFLOW);
    expect(() => randint(-(2 ** 31) - 1, 0, [3])).toThrow(OVERFLOW);
    expect(randint(0, 2 ** 31, [3]).dtype).toBe("int32"); // high is exclusive: 2^31 - 1 fits
  });

  it("full, fill_, arange and linspace reject values outside int32", () => {
    expect(() => full([2], 2 ** 31, { dtype: "int32" })).toThrow("full: value cannot be converted to type int32 without overflow (got 2147483648)");
    expect(() => full([2], NaN, { dtype: "int32" })).toThrow(OVERFLOW);
    expect(() => zeros([2], { dtype: "int32" }).fill_(2 ** 31)).toThrow(/fill_: value cannot be converted/);
    expect(() => arange(2 ** 31 - 2, 2 ** 31 + 2)).toThrow(/arange: value cannot be converted/);
    expect(() => linspace(0, 2 ** 40, 3, { dtype: "int32" })).toThrow(/linspace: value cannot be converted/);
  });

  it("a number in an op whose result is int32 is checked too (add, mul, maximum, comparisons, in place)", () => {
    const x = zeros([2], { dtype: "int32" });
    expect(() => x.add(2 ** 31)).toThrow(/add: value cannot be converted to type int32 without overflow/);
    expect(() => x.mul(-(2 ** 40))).toThrow(OVERFLOW);
    expect(() => x.maximum(NaN)).not.toThrow(); // NaN is not an integer: the result is float32
    expect(x.maximum(NaN).dtype).toBe("float32");
    expect(() => x.add_(2 ** 31)).toThrow(OVERFLOW);
    expect(() => x.clamp(0, 2 ** 31)).toThrow(/clamp: value cannot be converted/);
    expect(x.add(2 ** 31 - 1).toArray()).toEqual([2147483647, 2147483647]);
  });
});
