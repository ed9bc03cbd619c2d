import { describe, expect, it } from "vitest";
import { ShapeError, arange, cat, ones, randn, stack, tensor, zeros } from "../src/index";

describe("bad input throws a specific error naming the op and the shapes", () => {
  it("broadcasting", () => {
    expect(() => zeros([2, 3]).add(zeros([4]))).toThrow("add: shapes [2, 3] and [4] cannot be broadcast");
    expect(() => zeros([2, 3]).mul(zeros([3, 2]))).toThrow(ShapeError);
  });

  it("matmul", () => {
    expect(() => zeros([3, 4]).matmul(zeros([5, 2]))).toThrow(
      "matmul: shapes [3, 4] and [5, 2] cannot be multiplied (3x4 and 5x2)",
    );
    expect(() => zeros([]).matmul(zeros([2]))).toThrow("matmul: both arguments need to be at least 1D");
    expect(() => zeros([2, 2, 3]).matmul(zeros([3, 3, 1]))).toThrow(/matmul: shapes \[2\] and \[3\] cannot be broadcast/);
  });

  it("out-of-range dims and indices", () => {
    expect(() => zeros([2, 3]).sum(2)).toThrow("sum: dimension out of range (expected to be in range of [-2, 1], but got 2)");
    expect(() => zeros([2, 3]).transpose(0, -3)).toThrow(/transpose: dimension out of range/);
    expect(() => zeros([2, 3]).select(0, 2)).toThrow("select: index 2 out of range for tensor of size [2, 3] at dimension 0");
    expect(() => zeros([2, 3]).narrow(1, 2, 2)).toThrow("narrow: start (2) + length (2) exceeds dimension size (3).");
    expect(() => zeros([2, 3]).slice(1, 0, 3, 0)).toThrow("slice: step must be a positive integer, got 0");
    expect(() => zeros([2, 3]).permute([0, 0])).toThrow(/permute: repeated dim/);
  });

  it("reshape and view to a wrong size", () => {
    expect(() => zeros([2, 3]).reshape([4])).toThrow("reshape: shape [4] is invalid for input of size 6");
    expect(() => zeros([2, 3]).reshape([-1, -1])).toThrow(/only one dimension can be inferred/);
    expect(() => zeros([2, 3]).transpose(0, 1).view([6])).toThrow(/view size is not compatible/);
  });

  it("expand", () => {
    expect(() => zeros([2, 3]).expand([2, 4])).toThrow(
      "expand: the expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 1. Target sizes: [2, 4]. Tensor sizes: [2, 3]",
    );
  });

  it("creation", () => {
    expect(() => tensor([[1, 2], [3]])).toThrow("tensor: expected sequence of length 2 at dim 1 (got 1)");
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow("tensor: shape [2, 2] needs 4 values, got 3");
    expect(() => zeros([2, -1])).toThrow(/invalid shape/);
    expect(() => arange(0, 5, 0)).toThrow(/step must be nonzero/);
    expect(() => randn([2], { dtype: "int32" })).toThrow(/randn: expected a floating point dtype/);
  });

  it("cat and stack", () => {
    expect(() => cat([zeros([2, 3]), zeros([3, 3])], 1)).toThrow(
      "cat: sizes of tensors must match except in dimension 1: got [2, 3] at entry 0 and [3, 3] at entry 1",
    );
    expect(() => stack([zeros([2]), zeros([3])])).toThrow(/stack: expects each tensor to be equal size/);
    expect(() => cat([])).toThrow("cat: expected a non-empty list of Tensors");
  });

  it("item on more than one element; clamp without bounds", () => {
    expect(() => ones([2, 3]).item()).toThrow("item: a Tensor with 6 elements cannot be converted to a scalar");
    expect(() => ones([2]).clamp()).toThrow(/clamp: at least one of 'min' or 'max'/);
  });
});

describe("reductions over an empty dim list reduce every dim, as torch 1.13", () => {
  it("sum, mean, amax, var", () => {
    const x = tensor([[0, 1, 2], [3, 4, 5]]);
    expect(x.sum([]).item()).toBe(15);
    expect(x.mean([]).item()).toBe(2.5);
    expect(x.amax([]).item()).toBe(5);
    expect(x.var([]).item()).toBe(3.5);
  });
});
