import { describe, expect, it } from "vitest";
import { ArgumentError, ShapeError, tensor } from "../src/index";

// Values from torch 1.13 (Debian's python3-torch), with x = torch.tensor([[1.,2,3],[4,5,6]]).
describe("gather, scatterAdd and the rearranging ops, as torch", () => {
  const x = () => tensor([[1, 2, 3], [4, 5, 6]]);
  const i32 = (v: number[][]) => tensor(v, { dtype: "int32" });

  it("gather / scatter_add", () => {
    // x.gather(1, [[0,0],[2,1]]) -> [[1,1],[6,5]]; zeros(2,3).scatter_add(1, [[0,0],[2,1]], [[1,2],[3,4]]) -> [[3,0,0],[0,4,3]]
    expect(x().gather(1, i32([[0, 0], [2, 1]])).toArray()).toEqual([[1, 1], [6, 5]]);
    expect(tensor([[0, 0, 0], [0, 0, 0]]).scatterAdd(1, i32([[0, 0], [2, 1]]), tensor([[1, 2], [3, 4]])).toArray()).toEqual([[3, 0, 0], [0, 4, 3]]);
    expect(() => x().gather(1, i32([[3]]))).toThrow(/gather: index 3 is out of bounds for dimension 1 with size 3/);
    expect(() => x().gather(1, tensor([[0]]))).toThrow(/expected an int32 index tensor, got float32/);
  });

  it("flip / roll / repeat", () => {
    // x.flip([0,1]) -> [[6,5,4],[3,2,1]]; x.roll(1) -> [[6,1,2],[3,4,5]]; x.roll((1,-1),(0,1)) -> [[5,6,4],[2,3,1]]
    expect(x().flip([0, 1]).toArray()).toEqual([[6, 5, 4], [3, 2, 1]]);
    expect(x().roll(1).toArray()).toEqual([[6, 1, 2], [3, 4, 5]]);
    expect(x().roll([1, -1], [0, 1]).toArray()).toEqual([[5, 6, 4], [2, 3, 1]]);
    // torch.tensor([1.,2]).repeat(2,1,2) -> [[[1,2,1,2]],[[1,2,1,2]]]
    expect(tensor([1, 2]).repeat([2, 1, 2]).toArray()).toEqual([[[1, 2, 1, 2]], [[1, 2, 1, 2]]]);
    expect(() => x().repeat([2])).toThrow(ArgumentError);
    expect(() => x().flip([0, 0])).toThrow(/appears multiple times/);
  });

  it("chunk / split / masked_fill", () => {
    // [1..5].chunk(2) -> [[1,2,3],[4,5]]; .split([1,4]) -> [[1],[2,3,4,5]]; x.masked_fill([True,False,True], -1)
    expect(tensor([1, 2, 3, 4, 5]).chunk(2).map((t) => t.toArray())).toEqual([[1, 2, 3], [4, 5]]);
    expect(tensor([1, 2, 3, 4, 5]).split([1, 4]).map((t) => t.toArray())).toEqual([[1], [2, 3, 4, 5]]);
    expect(tensor([1, 2, 3, 4, 5]).split(2).map((t) => t.toArray())).toEqual([[1, 2], [3, 4], [5]]);
    expect(() => tensor([1, 2, 3]).split([1, 1])).toThrow(ShapeError);
    expect(x().maskedFill(tensor([true, false, true]), -1).toArray()).toEqual([[-1, 2, -1], [-1, 5, -1]]);
  });
});
