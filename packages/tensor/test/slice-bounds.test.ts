import { describe, expect, it } from "vitest";
import { ArgumentError, tensor } from "../src/index";

describe("slice bounds are integers, as narrow's and select's", () => {
  it("slice(1, 0.5, 2) rejects a fractional start (and end), naming the dim and shape", () => {
    const x = tensor([[1, 2, 3]]);
    expect(() => x.slice(1, 0.5, 2)).toThrow(ArgumentError);
    expect(() => x.slice(1, 0.5, 2)).toThrow("slice: start and end must be integers, got start 0.5 and end 2 for dimension 1 of [1, 3]");
    expect(() => x.slice(1, 0, 1.5)).toThrow(/slice: start and end must be integers/);
    expect(() => x.slice(1, NaN)).toThrow(ArgumentError);
    expect(() => x.slice(1, 0, 3, 1.5)).toThrow("slice: step must be a positive integer, got 1.5");
  });

  it("null and undefined still mean the ends of the dim", () => {
    expect(tensor([1, 2, 3]).slice(0, null, 2).toArray()).toEqual([1, 2]);
    expect(tensor([1, 2, 3]).slice(0, 1).toArray()).toEqual([2, 3]);
  });
});
