import ndarray from "ndarray";
import { describe, expect, it } from "vitest";
import { arange, fromNdarray, ones, tensor, zeros } from "../src/index";

describe("views share storage and never copy", () => {
  const x = arange(0, 24, 1, { dtype: "float32" }).reshape([2, 3, 4]);

  it("transpose, permute, narrow, select, slice, expand, unsqueeze, squeeze, view share the storage", () => {
    const views = [
      x.transpose(0, 2), x.permute([1, 2, 0]), x.narrow(2, 1, 2), x.select(1, 2),
      x.slice(2, 0, 4, 2), x.select(0, 0).unsqueeze(0).expand([5, 3, 4]), x.unsqueeze(1).squeeze(1), x.view([6, 4]),
      x.T, x.flatten(),
    ];
    for (const v of views) expect(v.storage).toBe(x.storage);
  });

  it("computes strides and offsets like torch", () => {
    expect(x.strides).toEqual([12, 4, 1]);
    expect(x.transpose(0, 2).strides).toEqual([1, 4, 12]);
    expect(x.select(1, 2).offset).toBe(8);
    expect(x.slice(2, 1, 4, 2).strides).toEqual([12, 4, 2]);
    expect(x.slice(2, 1, 4, 2).toArray()).toEqual([[[1, 3], [5, 7], [9, 11]], [[13, 15], [17, 19], [21, 23]]]);
    expect(x.select(0, 0).unsqueeze(0).expand([2, 3, 4]).strides).toEqual([0, 4, 1]);
  });

  it("reshape views when the strides allow it and copies otherwise", () => {
    const t = x.transpose(1, 2); // [2, 4, 3]
    expect(t.reshape([2, 12]).storage).not.toBe(x.storage);
    expect(t.reshape([2, 12]).toArray()).toEqual(t.contiguous().reshape([2, 12]).toArray());
    expect(x.narrow(0, 1, 1).reshape([12]).storage).toBe(x.storage);
    expect(x.permute([0, 2, 1]).reshape([2, 4, 3, 1]).storage).toBe(x.storage);
  });

  it("contiguous() copies only when needed; writes through a view reach the base", () => {
    expect(x.contiguous()).toBe(x);
    expect(x.T.contiguous()).not.toBe(x.T);
    const base = zeros([2, 3]);
    base.select(1, 1).fill_(5);
    expect(base.toArray()).toEqual([[0, 5, 0], [0, 5, 0]]);
  });

  it("slice clamps out-of-range bounds and wraps negative ones, as Python slicing", () => {
    const v = arange(0, 5, 1, { dtype: "float32" });
    expect(v.slice(0, -3).toArray()).toEqual([2, 3, 4]);
    expect(v.slice(0, 1, 100, 3).toArray()).toEqual([1, 4]);
    expect(v.slice(0, 4, 2).toArray()).toEqual([]);
  });

  it("ops accept any strided input, including broadcast stride-0 views", () => {
    const e = tensor([1, 2, 3]).expand([2, 3]);
    expect(e.mul(ones([2, 3])).toArray()).toEqual([[1, 2, 3], [1, 2, 3]]);
    expect(x.T.sum(0).toArray()).toEqual(x.sum(2).T.toArray());
  });
});

describe("ndarray interop is zero-copy both ways", () => {
  it("toNdarray views the same storage, strides and offset", () => {
    const t = arange(0, 6, 1, { dtype: "float32" }).reshape([2, 3]).transpose(0, 1);
    const nd = t.toNdarray();
    expect(nd.data).toBe(t.storage);
    expect(nd.shape).toEqual([3, 2]);
    expect(nd.stride).toEqual([1, 3]);
    expect(nd.get(2, 1)).toBe(5);
    nd.set(0, 0, 42);
    expect(t.toArray()).toEqual([[42, 3], [1, 4], [2, 5]]);
  });

  it("fromNdarray wraps ndarray's data without copying, picked views included", () => {
    const nd = ndarray(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]).pick(null, 1);
    const t = fromNdarray(nd);
    expect(t.dtype).toBe("float64");
    expect(t.storage).toBe(nd.data);
    expect(t.toArray()).toEqual([2, 5]);
  });

  it("rejects plain arrays, which cannot be shared", () => {
    expect(() => fromNdarray(ndarray([1, 2, 3]))).toThrow(/fromNdarray: data must be a Float32Array/);
  });
});

describe("matmul propagates NaN from 0 * inf on every path, as torch", () => {
  it("small (TS kernel) and large (wasm) products", () => {
    const small = tensor([[0, 1]]).matmul(tensor([[Infinity], [1]]));
    expect(Number.isNaN(small.item())).toBe(true);
    const a = tensor(new Float32Array(64 * 64), { shape: [64, 64] });
    const b = tensor(new Float32Array(64 * 64).fill(Infinity), { shape: [64, 64] });
    expect(Number.isNaN(a.matmul(b).toTypedArray()[0])).toBe(true);
  });
});

describe("in-place writes and memory overlap (torch's checks)", () => {
  it("refuses an input that partly overlaps the written-to view", () => {
    const x = arange(0, 8).float();
    expect(() => x.narrow(0, 1, 7).add_(x.narrow(0, 0, 7))).toThrow(/some elements of the input tensor and the written-to tensor/);
    expect(() => x.narrow(0, 1, 7).copy_(x.narrow(0, 0, 7))).toThrow(/single memory location/);
    const m = arange(0, 6).float().reshape([2, 3]);
    expect(() => m.add_(m.select(0, 0))).toThrow(/clone\(\) the tensor/);
    expect(x.toArray()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]); // nothing was written
  });

  it("refuses writing into an expanded view", () => {
    const x = tensor([1, 2, 3]);
    expect(() => x.expand([2, 3]).add_(1)).toThrow(/more than one element of the written-to tensor/);
    expect(() => x.expand([2, 3]).fill_(0)).toThrow(/more than one element/);
  });

  it("allows the same view (x.add_(x), a detached alias) and disjoint parts of one storage", () => {
    const x = tensor([1, 2, 3, 4]);
    x.add_(x);
    x.mul_(x.detach());
    expect(x.toArray()).toEqual([4, 16, 36, 64]);
    x.narrow(0, 0, 2).add_(x.narrow(0, 2, 2));
    expect(x.toArray()).toEqual([40, 80, 36, 64]);
  });
});
