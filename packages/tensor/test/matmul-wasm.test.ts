import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Generator, ones, randn, type Tensor } from "../src/index";
import { WASM_MIN_MULADDS, matmulInto, type Matrix } from "../src/kernels/matmul";
import { WasmMatmul, instantiate, wasmMatmul } from "../src/kernels/wasm/simd-matmul";
import { GENERATED_PATH, compileMatmulWat, renderMatmulModule } from "../scripts/wat";

/**
 * The WebAssembly SIMD kernel against the TS kernel (float64 accumulation) on random shapes
 * and strides. Its float32 accumulation may differ by rounding only: per element at most
 * (k + 2) * 2^-24 * sum_p |a_ip * b_pj| (the classic bound for a k-term float sum, plus
 * rounding the products and the reference), which is what `expectClose` allows.
 */

const rng = new Generator(1234);

function kernel(): WasmMatmul {
  const w = wasmMatmul();
  if (w === null) throw new Error("WebAssembly SIMD should be available in Node 20");
  return w;
}

/** How an operand of rows x cols is laid out in its storage. */
type Layout = "contiguous" | "transposed" | "offset" | "stepped" | "rowBroadcast" | "wideSlice";
const LAYOUTS: readonly Layout[] = ["contiguous", "transposed", "offset", "stepped", "rowBroadcast", "wideSlice"];

/** A random rows x cols float32 operand stored as `layout` says (storage has other values around it). */
function operand(rows: number, cols: number, layout: Layout): Matrix {
  const make = (size: number) => {
    const data = new Float32Array(size);
    rng.fillNormal(data, 0, 1);
    return data;
  };
  switch (layout) {
    case "contiguous": return { data: make(rows * cols), offset: 0, rowStride: cols, colStride: 1 };
    case "transposed": return { data: make(rows * cols), offset: 0, rowStride: 1, colStride: rows };
    case "offset": return { data: make(rows * cols + 13), offset: 7, rowStride: cols, colStride: 1 };
    // every 2nd row and 3rd column of a bigger matrix, from (1, 2) on
    case "stepped": return { data: make(2 * rows * 3 * cols + 8 * cols), offset: 3 * cols + 2, rowStride: 6 * cols, colStride: 3 };
    // one row repeated (an expanded view, row stride 0)
    case "rowBroadcast": return { data: make(cols + 3), offset: 3, rowStride: 0, colStride: 1 };
    // a few columns of a much wider matrix: the JS side gathers it instead of copying the span
    case "wideSlice": return { data: make(rows * (cols + 300)), offset: 5, rowStride: cols + 300, colStride: 1 };
  }
}

const at = (x: Matrix, i: number, j: number): number => x.data[x.offset + i * x.rowStride + j * x.colStride];

/** The TS kernel's result, and the bound on float32 accumulation error for each element. */
function reference(a: Matrix, b: Matrix, m: number, k: number, n: number): { want: Float32Array; tol: Float64Array } {
  const want = new Float32Array(m * n);
  matmulInto(want, 0, a, b, m, k, n, new Float64Array(n));
  const tol = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += Math.abs(at(a, i, p) * at(b, p, j));
      tol[i * n + j] = (k + 2) * 2 ** -24 * s;
    }
  }
  return { want, tol };
}

function expectClose(got: Float32Array, want: Float32Array, tol: Float64Array, label: string): void {
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol[i])) {
      throw new Error(`${label}: element ${i} is ${got[i]}, want ${want[i]} within ${tol[i]}`);
    }
  }
}

function checkKernel(m: number, k: number, n: number, la: Layout, lb: Layout): void {
  const a = operand(m, k, la), b = operand(k, n, lb);
  const got = new Float32Array(m * n + 5).fill(NaN);
  expect(kernel().matmul(got, 2, a, b, m, k, n)).toBe(true);
  const { want, tol } = reference(a, b, m, k, n);
  expectClose(got.subarray(2, 2 + m * n), want, tol, `${m}x${k}x${n} ${la} @ ${lb}`);
  // nothing written outside out[2 .. 2 + m*n]
  expect([got[0], got[1], got[2 + m * n]]).toEqual([NaN, NaN, NaN]);
}

describe("wasm SIMD matmul kernel", () => {
  it("matches the TS kernel on random shapes and strides", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 23 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 27 }),
        fc.constantFrom(...LAYOUTS), fc.constantFrom(...LAYOUTS),
        (m, k, n, la, lb) => checkKernel(m, k, n, la, lb),
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    [1, 300, 70], [70, 300, 1], [64, 1, 64], [1, 1, 1], [4, 8, 8], [5, 9, 9], [3, 7, 17],
    [37, 1100, 29], // k spans three k blocks (512 each), m and n are not tile multiples
    [130, 64, 200],
  ])("matches the TS kernel for %ix%ix%i (every layout pair)", (m, k, n) => {
    for (const la of LAYOUTS) for (const lb of LAYOUTS) checkKernel(m, k, n, la, lb);
  });

  it("reuses its memory: a repeated product grows nothing", () => {
    const w = kernel();
    checkKernel(100, 200, 90, "contiguous", "transposed");
    const bytes = w.memoryBytes;
    checkKernel(20, 30, 40, "stepped", "contiguous");
    checkKernel(100, 200, 90, "contiguous", "transposed");
    expect(w.memoryBytes).toBe(bytes);
  });

  it("declines products too large for wasm memory, writing nothing", () => {
    const a = operand(1, 1, "contiguous");
    const broad: Matrix = { ...a, rowStride: 0, colStride: 0 }; // 20000 x 1 and 1 x 20000 views of one float
    const out = new Float32Array(1);
    expect(kernel().matmul(out, 0, broad, broad, 20000, 1, 20000)).toBe(false);
  });
});

describe("matmul dispatch", () => {
  /** The same product in float64, rounded: what the float32 result must be close to. */
  function expectNearFloat64(got: Tensor, want: Tensor, k: number, absA: Tensor, absB: Tensor): void {
    const tol = absA.matmul(absB).toTypedArray();
    const g = got.toTypedArray(), w = want.toTypedArray();
    for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - w[i])).toBeLessThanOrEqual((k + 2) * 2 ** -24 * tol[i]);
  }

  it("float32 products above the threshold use wasm, batched and through transposed views", () => {
    const used = vi.spyOn(WasmMatmul.prototype, "matmul");
    const a = randn([3, 40, 50]), b = randn([50, 60]);
    expect(40 * 50 * 60).toBeGreaterThanOrEqual(WASM_MIN_MULADDS);
    expectNearFloat64(a.matmul(b), a.double().matmul(b.double()), 50, a.abs().double(), b.abs().double());
    const bt = randn([60, 50]).T; // a transposed weight, as in x @ W^T: row stride 1
    expectNearFloat64(a.matmul(bt), a.double().matmul(bt.double()), 50, a.abs().double(), bt.abs().double());
    // the backward products a^T @ g and g @ b^T run on transposed views too
    const x = randn([64, 100], { requiresGrad: true }), w = randn([100, 30], { requiresGrad: true });
    x.matmul(w).sum().backward();
    const g = ones([64, 30], { dtype: "float64" }), xd = x.detach().double(), wd = w.detach().double();
    expectNearFloat64(w.grad!, xd.T.matmul(g), 64, xd.abs().T, g);
    expectNearFloat64(x.grad!, g.matmul(wd.T), 30, g, wd.abs().T);
    expect(used).toHaveBeenCalled();
    used.mockRestore();
  });

  it("float64 and small float32 products stay on the TS kernel, bit for bit", () => {
    for (const [m, k, n, dtype] of [[40, 50, 60, "float64"], [15, 15, 15, "float32"], [1, 64, 63, "float32"]] as const) {
      if (dtype === "float32") expect(m * k * n).toBeLessThan(WASM_MIN_MULADDS);
      const a = randn([m, k], { dtype }), b = randn([n, k], { dtype }).T;
      const want = dtype === "float64" ? new Float64Array(m * n) : new Float32Array(m * n);
      const A = { data: a.storage, offset: a.offset, rowStride: a.strides[0], colStride: a.strides[1] };
      const B = { data: b.storage, offset: b.offset, rowStride: b.strides[0], colStride: b.strides[1] };
      matmulInto(want, 0, A, B, m, k, n, new Float64Array(n));
      const used = vi.spyOn(WasmMatmul.prototype, "matmul");
      expect(a.matmul(b).toTypedArray()).toEqual(want);
      expect(used).not.toHaveBeenCalled();
      used.mockRestore();
    }
  });
});

describe("fallback where WebAssembly SIMD is unavailable", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
    vi.resetModules();
  });

  it("instantiate returns null for a module the engine rejects", () => {
    expect(instantiate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]))).toBeNull();
    vi.spyOn(WebAssembly, "validate").mockReturnValue(false); // as on an engine without SIMD128
    expect(instantiate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))).toBeNull();
  });

  it("without WebAssembly, float32 matmul runs the TS kernel", async () => {
    vi.resetModules();
    vi.stubGlobal("WebAssembly", undefined);
    const fresh = await import("../src/index");
    const kernels = await import("../src/kernels/matmul");
    const a = fresh.randn([40, 50]), b = fresh.randn([50, 60]);
    const want = new Float32Array(40 * 60);
    const view = (t: Tensor): Matrix => ({ data: t.storage, offset: t.offset, rowStride: t.strides[0], colStride: t.strides[1] });
    kernels.matmulInto(want, 0, view(a), view(b), 40, 50, 60, new Float64Array(60));
    expect(a.matmul(b).toTypedArray()).toEqual(want);
  });
});

describe("generated module", () => {
  it("matmul-wasm.ts is matmul.wat as compiled now (run `pnpm build:wasm` after editing the .wat)", async () => {
    const bytes = await compileMatmulWat();
    expect(readFileSync(GENERATED_PATH, "utf8")).toBe(renderMatmulModule(bytes));
    expect(WebAssembly.validate(new Uint8Array(bytes))).toBe(true);
  });
});
