import fc from "fast-check";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DTypeError, Generator, ShapeError, addmm, gradcheck, mm, randn, tensor, type Tensor } from "../src/index";
import { matmulKernel, type Matrix, type Vector } from "../src/kernels/matmul";
import { wasmMatmul } from "../src/kernels/wasm/simd-matmul";
import { setMatmulThreads, stopMatmulThreads, threadedMatmul } from "../src/kernels/wasm/threads";

/**
 * addmm (torch.addmm, beta = alpha = 1): the bias row is added by the product's kernel (the
 * wasm `addRow`, or the TS loop), which must give exactly the bits of the product followed
 * by a separate float32 add.
 */

const rng = new Generator(77);

function operand(rows: number, cols: number, transposed: boolean): Matrix {
  const data = new Float32Array(rows * cols + 3);
  rng.fillNormal(data, 0, 1);
  return transposed ? { data, offset: 3, rowStride: 1, colStride: rows } : { data, offset: 3, rowStride: cols, colStride: 1 };
}

/** n floats, contiguous or every third element of a longer array. */
function biasRow(n: number, stride: number): Vector {
  const data = new Float32Array(n * stride + 2);
  rng.fillNormal(data, 0, 3);
  return { data, offset: 2, stride };
}

/** The product without a bias (same kernel), then the bias added as float32 adds. */
function productThenAdd(a: Matrix, b: Matrix, m: number, k: number, n: number, bias: Vector): Float32Array {
  const out = new Float32Array(m * n);
  matmulKernel(out, 0, a, b, m, k, n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[i * n + j] = Math.fround(out[i * n + j] + bias.data[bias.offset + j * bias.stride]);
  return out;
}

function sameBits(got: Float32Array, want: Float32Array): boolean {
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  return g.length === w.length && g.every((x, i) => x === w[i]);
}

afterEach(() => setMatmulThreads(null));
afterAll(() => stopMatmulThreads());

describe("matmul kernel with a bias row", () => {
  it("wasm and TS paths equal the product followed by an add, bit for bit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 37 }),
        fc.boolean(), fc.boolean(), fc.constantFrom(1, 3),
        (m, k, n, ta, tb, stride) => {
          const a = operand(m, k, ta), b = operand(k, n, tb), bias = biasRow(n, stride);
          const got = new Float32Array(m * n + 2).fill(NaN);
          matmulKernel(got, 1, a, b, m, k, n, bias); // wasm from 4096 muladds, else TS
          const inner = got.subarray(1, 1 + m * n);
          return sameBits(inner, productThenAdd(a, b, m, k, n, bias)) && Number.isNaN(got[0]) && Number.isNaN(got[1 + m * n]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the wasm kernel adds it directly (products below the dispatch threshold too)", () => {
    for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [4, 8, 8], [9, 3, 13], [32, 64, 128]]) {
      const a = operand(m, k, false), b = operand(k, n, true), bias = biasRow(n, 1);
      const plain = new Float32Array(m * n), fused = new Float32Array(m * n);
      expect(wasmMatmul()!.matmul(plain, 0, a, b, m, k, n)).toBe(true);
      expect(wasmMatmul()!.matmul(fused, 0, a, b, m, k, n, bias)).toBe(true);
      for (let i = 0; i < m * n; i++) plain[i] = Math.fround(plain[i] + bias.data[bias.offset + (i % n)]);
      expect(sameBits(fused, plain)).toBe(true);
    }
  });

  it("two threads add it to every chunk's rows", () => {
    setMatmulThreads(2);
    const threaded = threadedMatmul();
    expect(threaded).not.toBeNull();
    // the last: 10 chunks of 32 rows (2^20 multiply-adds each), the last of 12
    for (const [m, k, n] of [[9, 17, 13], [64, 100, 30], [127, 129, 131], [300, 1000, 33]]) {
      const a = operand(m, k, false), b = operand(k, n, false), bias = biasRow(n, 3);
      const got = new Float32Array(m * n);
      expect(threaded!.matmul(got, 0, a, b, m, k, n, bias)).toBe(true);
      const want = new Float32Array(m * n);
      expect(wasmMatmul()!.matmul(want, 0, a, b, m, k, n, bias)).toBe(true);
      expect(sameBits(got, want)).toBe(true);
    }
  });
});

describe("addmm", () => {
  const bits = (t: Tensor) => new Uint32Array(Float32Array.from(t.toTypedArray()).buffer);

  it.each([
    ["a bias row (p)", [7]],
    ["a bias row (1, p)", [1, 7]],
    ["a column (n, 1)", [5, 1]],
    ["a full matrix (n, p)", [5, 7]],
    ["a scalar", []],
  ])("with %s equals mm then add, bit for bit", (_name, shape) => {
    const input = randn(shape as number[]), x = randn([5, 40]), w = randn([7, 40]);
    const got = addmm(input, x, w.T);
    expect(got.shape).toEqual([5, 7]);
    expect(bits(got)).toEqual(bits(x.matmul(w.T).add(input)));
    expect(bits(input.addmm(x, w.T))).toEqual(bits(got));
  });

  it("fuses through the wasm kernel for F.linear-sized products (32x64 @ 64x128 + bias)", () => {
    const input = randn([128]), x = randn([32, 64]), w = randn([128, 64]);
    expect(bits(addmm(input, x, w.T))).toEqual(bits(x.matmul(w.T).add(input)));
    const strided = randn([128, 2]).select(1, 1); // a bias with stride 2
    expect(bits(addmm(strided, x, w.T))).toEqual(bits(x.matmul(w.T).add(strided)));
  });

  it("takes an input of the matrices' dtype only, as torch (no promotion)", () => {
    const input = randn([3], { dtype: "float64" }), x = randn([2, 4]), w = randn([4, 3]);
    expect(() => addmm(input, x, w)).toThrow(
      new DTypeError("addmm: self and mat2 must have the same dtype, but got float64 and float32"),
    );
  });

  it("handles an empty inner dimension (the result is the input, broadcast)", () => {
    const got = addmm(tensor([1, 2, 3]), randn([2, 0]), randn([0, 3]));
    expect(got.toArray()).toEqual([[1, 2, 3], [1, 2, 3]]);
  });

  it("has the gradients of input + mat1 @ mat2 (gradcheck, float64)", () => {
    const opts = { dtype: "float64" as const, requiresGrad: true };
    for (const shape of [[4], [1, 4], [3, 1], [3, 4], []]) {
      expect(gradcheck((b, x, w) => addmm(b, x, w), [randn(shape, opts), randn([3, 5], opts), randn([5, 4], opts)])).toBe(true);
    }
    // only some inputs need a gradient
    const x = randn([3, 5], opts);
    addmm(randn([4], { dtype: "float64" }), x, randn([5, 4], { dtype: "float64" })).sum().backward();
    expect(x.grad!.shape).toEqual([3, 5]);
  });

  it("records AddmmBackward, and the bias gradient is summed over rows", () => {
    const b = randn([4], { requiresGrad: true }), x = randn([3, 5], { requiresGrad: true }), w = randn([5, 4], { requiresGrad: true });
    const y = addmm(b, x, w);
    expect(y.gradFn?.name).toBe("AddmmBackward");
    y.sum().backward();
    expect(b.grad!.toArray()).toEqual([3, 3, 3, 3]);
  });

  it("names the op and the shapes in its errors", () => {
    expect(() => addmm(randn([3]), randn([3]), randn([3, 3]))).toThrow(new ShapeError("addmm: mat1 must be a matrix, got 1-D tensor"));
    expect(() => addmm(randn([3]), randn([3, 3]), randn([2, 3, 3]))).toThrow(new ShapeError("addmm: mat2 must be a matrix, got 3-D tensor"));
    expect(() => addmm(randn([3]), randn([2, 4]), randn([5, 3]))).toThrow(
      new ShapeError("addmm: mat1 and mat2 shapes cannot be multiplied (2x4 and 5x3)"),
    );
    expect(() => addmm(randn([4]), randn([2, 4]), randn([4, 3]))).toThrow(/addmm/);
    expect(() => addmm(randn([6, 2, 3]), randn([2, 4]), randn([4, 3]))).toThrow(
      new ShapeError("addmm: input of shape [6, 2, 3] cannot be broadcast to the product's [2, 3]"),
    );
  });
});

describe("mm (torch.mm)", () => {
  it("equals matmul on matrices, bit for bit, over transposed and offset views", () => {
    const a = randn([7, 5]), b = randn([6, 5]);
    const got = mm(a, b.T);
    expect(got.toArray()).toEqual(a.matmul(b.T).toArray());
    expect(a.narrow(0, 2, 3).mm(b.T.narrow(1, 1, 4)).toArray()).toEqual(a.narrow(0, 2, 3).matmul(b.T.narrow(1, 1, 4)).toArray());
    expect(mm(randn([3, 0]), randn([0, 2])).toArray()).toEqual([[0, 0], [0, 0], [0, 0]]);
  });

  it("has the gradients of a matrix product (gradcheck, float64), recorded as MmBackward", () => {
    const opts = { dtype: "float64" as const, requiresGrad: true };
    expect(gradcheck((x, w) => mm(x, w), [randn([3, 5], opts), randn([5, 4], opts)])).toBe(true);
    expect(gradcheck((x, w) => mm(x.T, w), [randn([5, 3], opts), randn([5, 2], opts)])).toBe(true);
    expect(mm(randn([2, 2], opts), randn([2, 2], opts)).gradFn?.name).toBe("MmBackward");
  });

  it("takes matrices of one dtype only, and names the shapes otherwise", () => {
    expect(() => mm(randn([3]), randn([3, 3]))).toThrow(new ShapeError("mm: self must be a matrix, got 1-D tensor of shape [3]"));
    expect(() => mm(randn([3, 3]), randn([2, 3, 3]))).toThrow(new ShapeError("mm: mat2 must be a matrix, got 3-D tensor of shape [2, 3, 3]"));
    expect(() => mm(randn([2, 4]), randn([5, 3]))).toThrow(new ShapeError("mm: mat1 and mat2 shapes cannot be multiplied (2x4 and 5x3)"));
    expect(() => mm(randn([2, 4]), randn([4, 3], { dtype: "float64" }))).toThrow(
      new DTypeError("mm: expected mat1 and mat2 to have the same dtype, but got float32 and float64"),
    );
  });
});
