import { describe, expect, it } from "vitest";
import { DTypeError, addmm, mm, ones, tensor, zeros } from "../src/index";

describe("matrix products take one dtype, as torch (no promotion)", () => {
  it("a.matmul(int32Tensor) raises torch's dtype mismatch instead of promoting", () => {
    const a = ones([2, 2]), b = ones([2, 2], { dtype: "int32" });
    expect(() => a.matmul(b)).toThrow(DTypeError);
    expect(() => a.matmul(b)).toThrow("matmul: expected m1 and m2 to have the same dtype, but got: float32 != int32 (shapes [2, 2] and [2, 2])");
    expect(() => ones([3]).matmul(ones([3], { dtype: "float64" }))).toThrow(/matmul: expected m1 and m2 to have the same dtype, but got: float32 != float64/);
  });

  it("mm and addmm raise it too, and addmm checks the input's dtype", () => {
    expect(() => mm(ones([2, 2]), ones([2, 2], { dtype: "int32" }))).toThrow(DTypeError);
    expect(() => addmm(zeros([2]), ones([2, 2]), ones([2, 2], { dtype: "int32" }))).toThrow(
      "addmm: expected m1 and m2 to have the same dtype, but got: float32 != int32 (shapes [2, 2] and [2, 2])",
    );
    expect(() => addmm(zeros([2], { dtype: "int32" }), ones([2, 2]), ones([2, 2]))).toThrow(
      "addmm: self and mat2 must have the same dtype, but got int32 and float32",
    );
  });

  it("bool products are refused (their sums would not be 0/1); int32 ones work", () => {
    const b = tensor([[true, true], [true, true]]);
    expect(() => b.matmul(b)).toThrow(/matmul: "addmm_impl_cpu_" not implemented for 'bool'/);
    const i = tensor([[1, 2], [3, 4]], { dtype: "int32" });
    const p = i.matmul(i);
    expect(p.dtype).toBe("int32");
    expect(p.toArray()).toEqual([[7, 10], [15, 22]]);
  });
});
