import { describe, expect, it } from "vitest";
import { ArgumentError, TensorError, ones, rand, randint, tensor, zeros } from "../src/index";

describe("shapes are checked before anything is allocated", () => {
  it("a shape too large to allocate names the op, the shape and the bytes (not a bare RangeError)", () => {
    expect(() => zeros([1e6, 1e6])).toThrow(TensorError);
    expect(() => zeros([1e6, 1e6])).toThrow(
      /^zeros: can't allocate memory for a float32 tensor of shape \[1000000, 1000000\]: you tried to allocate 4000000000000 bytes/,
    );
    expect(() => ones([1e6, 1e6], { dtype: "float64" })).toThrow(/ones: .*8000000000000 bytes/);
    expect(() => rand([1e6, 1e6])).toThrow(/rand: can't allocate memory/);
  });

  it("sizes that are not integers below 2^53, and shapes beyond 2^53 elements, are rejected", () => {
    expect(() => zeros([1e300, 0])).toThrow(ArgumentError);
    expect(() => zeros([1e300, 0])).toThrow("zeros: invalid shape [1e+300, 0]: sizes must be non-negative integers below 2^53, got 1e+300");
    expect(() => tensor([], { shape: [1e300, 0] })).toThrow(/tensor: invalid shape/);
    expect(() => zeros([2.5])).toThrow(/zeros: invalid shape \[2.5\]/);
    expect(() => zeros([-1])).toThrow(/zeros: invalid shape \[-1\]/);
    expect(() => zeros([NaN])).toThrow(/zeros: invalid shape/);
    expect(() => zeros([2 ** 30, 2 ** 30, 2 ** 30])).toThrow(/^zeros: invalid shape \[1073741824, 1073741824, 1073741824\]: more than 2\^53 elements/);
    expect(zeros([2 ** 40, 0]).numel).toBe(0);
  });

  it("a shape that is not an array is an ArgumentError", () => {
    expect(() => zeros(5 as unknown as number[])).toThrow("zeros: shape must be an array of sizes, got number");
    expect(() => randint(5, 2, undefined as unknown as number[])).toThrow(ArgumentError);
  });
});

describe("randint's bad bounds are ArgumentErrors", () => {
  it("randint(5, 2) throws an ArgumentError, not a plain Error", () => {
    expect(() => randint(5, 2, [2])).toThrow(ArgumentError);
    expect(() => randint(5, 2, [2])).toThrow("randint: low (5) must be < high (2)");
    expect(() => randint(0.5, 2, [2])).toThrow(ArgumentError);
  });
});
