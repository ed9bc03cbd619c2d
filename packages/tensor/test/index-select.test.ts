import { describe, expect, it } from "vitest";
import { ArgumentError, DTypeError, ShapeError, arange, gradcheck, randn, tensor } from "../src/index";

/** indexSelect (torch.index_select): values, gradients and errors as torch 1.13's. */

const idx = (values: number[] | number) => tensor(values, { dtype: "int32" });

describe("indexSelect", () => {
  const x = arange(12).reshape([3, 4]).float();

  it("picks rows and columns, repeats allowed (torch's values)", () => {
    expect(x.indexSelect(0, idx([2, 0, 2])).toArray()).toEqual([[8, 9, 10, 11], [0, 1, 2, 3], [8, 9, 10, 11]]);
    expect(x.indexSelect(1, idx([3, 0, 3])).toArray()).toEqual([[3, 0, 3], [7, 4, 7], [11, 8, 11]]);
    expect(x.indexSelect(-1, idx([1])).toArray()).toEqual([[1], [5], [9]]);
  });

  it("takes a 0-d index as one entry, selects from 0-d tensors, and allows an empty index", () => {
    expect(x.indexSelect(0, idx(1)).shape).toEqual([1, 4]);
    expect(tensor(5).indexSelect(0, idx([0])).shape).toEqual([]);
    expect(x.indexSelect(0, tensor([], { dtype: "int32" })).shape).toEqual([0, 4]);
  });

  it("reads any layout (a transposed view, a 3-D middle dim) and keeps the dtype", () => {
    const t = x.T; // [4, 3], not contiguous
    expect(t.indexSelect(0, idx([1, 3])).toArray()).toEqual([[1, 5, 9], [3, 7, 11]]);
    const cube = arange(24).reshape([2, 3, 4]);
    expect(cube.indexSelect(1, idx([2, 0])).toArray()).toEqual([
      [[8, 9, 10, 11], [0, 1, 2, 3]],
      [[20, 21, 22, 23], [12, 13, 14, 15]],
    ]);
    expect(cube.indexSelect(1, idx([2])).dtype).toBe("int32");
    const labels = tensor([7, 8, 9], { dtype: "int32" }); // a batch of class labels, as in a data loader
    expect(labels.indexSelect(0, idx([2, 2, 0])).toArray()).toEqual([9, 9, 7]);
  });

  it("copies (the result does not share storage)", () => {
    const picked = x.indexSelect(0, idx([0]));
    picked.fill_(-1);
    expect((x.toArray() as number[][])[0]).toEqual([0, 1, 2, 3]);
  });

  it("adds the gradient back at each index, repeated ones summed (gradcheck, float64)", () => {
    const w = randn([5, 3], { dtype: "float64", requiresGrad: true });
    for (const [dim, index] of [[0, [4, 0, 4, 2]], [1, [2, 2]], [-1, [0]]] as const) {
      expect(gradcheck((a) => a.indexSelect(dim, idx([...index])), [w])).toBe(true);
    }
    const y = randn([5, 3], { requiresGrad: true });
    y.indexSelect(0, idx([1, 1, 3])).sum().backward();
    expect(y.grad!.toArray()).toEqual([[0, 0, 0], [2, 2, 2], [0, 0, 0], [1, 1, 1], [0, 0, 0]]);
    expect(y.indexSelect(0, idx([1])).gradFn?.name).toBe("IndexSelectBackward");
  });

  it("names the op and the bad value in its errors", () => {
    expect(() => x.indexSelect(0, idx([3]))).toThrow(new ArgumentError("indexSelect: index out of range in self (index 3, dimension 0 of size 3)"));
    expect(() => x.indexSelect(1, idx([-1]))).toThrow(ArgumentError);
    expect(() => x.indexSelect(0, tensor([0]))).toThrow(new DTypeError("indexSelect: expected an int32 index tensor, got float32"));
    expect(() => x.indexSelect(0, idx([[0]] as unknown as number[]))).toThrow(ShapeError);
    expect(() => x.indexSelect(2, idx([0]))).toThrow("indexSelect: dimension out of range (expected to be in range of [-2, 1], but got 2)");
  });
});
