import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Generator, tensor } from "../src/index";
import { expForFloat32 } from "../src/math/fast-float32";
import { WASM_MIN_ELEMENTS, elementwiseKernel, type ElementwiseKernel } from "../src/kernels/accelerate";
import { FusedKernel } from "../src/kernels/wasm/fused";
import { KERNEL_MODULES, compileWat, renderKernelModule } from "../scripts/wat";
import { WasmModule } from "../src/kernels/wasm/module";
import { EXP_WASM_BASE64 } from "../src/kernels/wasm/exp-wasm";
import { unshareMemoryImport } from "../src/kernels/wasm/load";

/** The WebAssembly SIMD float32 exp, tanh and sigmoid (exp.wat) against the correctly rounded result. */

/** The kernels over a memory of their own (copies in and out), at any length. */
const OWN = new WasmModule("exp.wat", EXP_WASM_BASE64, { arena: false });
const kernels = new Map<ElementwiseKernel, FusedKernel>();
function kernel(op: ElementwiseKernel): FusedKernel {
  let f = kernels.get(op);
  if (f === undefined) kernels.set(op, (f = elementwiseKernel(op, OWN, 1)));
  return f;
}

/** Distance in float32 ulps between two float32 values of the same sign (0 for two NaNs). */
function ulps(a: number, b: number): number {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  const bits = new Int32Array(new Float32Array([a, b]).buffer);
  return Math.abs(bits[0] - bits[1]);
}

/** The kernel's exp of `xs`, run through a row that starts at an offset in both arrays. */
function wasmExp(xs: Float32Array): Float32Array {
  const a = new Float32Array(xs.length + 5);
  a.set(xs, 3);
  const out = new Float32Array(xs.length + 4).fill(-7);
  expect(kernel("exp").tryWasm([a, out], [3, 2], xs.length)).toBe(true);
  // nothing written outside out[2 .. 2 + n]
  expect([out[0], out[1], out[2 + xs.length], out[3 + xs.length]]).toEqual([-7, -7, -7, -7]);
  return out.subarray(2, 2 + xs.length);
}

function worst(xs: Float32Array): { ulps: number; at: number } {
  const got = wasmExp(xs);
  let result = { ulps: 0, at: NaN };
  for (let i = 0; i < xs.length; i++) {
    const d = ulps(got[i], Math.fround(Math.exp(xs[i])));
    if (!(d <= result.ulps)) result = { ulps: d, at: xs[i] };
  }
  return result;
}

describe("wasm SIMD float32 exp (issue 6: <= 2 ulp)", () => {
  it("is within 2 ulp of the correctly rounded value on 400k random float32 in [-104, 89]", () => {
    const xs = new Float32Array(400_003); // not a multiple of 4: the last vector is partial
    new Generator(11).fillUniform(xs, -104, 89);
    const r = worst(xs);
    expect(r.ulps, `worst at ${r.at}`).toBeLessThanOrEqual(2);
  });

  it("is within 2 ulp near zero, near overflow and across the subnormal results (-87.3 .. -104)", () => {
    const xs: number[] = [];
    for (let x = -1e-3; x <= 1e-3; x += 1e-7) xs.push(x);
    for (let x = 88; x <= 88.8; x += 1e-5) xs.push(x);
    for (let x = -104.5; x <= -87; x += 1e-4) xs.push(x);
    const r = worst(new Float32Array(xs));
    expect(r.ulps, `worst at ${r.at}`).toBeLessThanOrEqual(2);
  });

  it("handles the edges: zeros, infinities, NaN, overflow and underflow", () => {
    const edges = [0, -0, Infinity, -Infinity, NaN, 88.72, 88.7228, 88.73, 89, 1000, -87.3, -103.97, -103.98, -104, -1000];
    const got = wasmExp(new Float32Array(edges));
    expect(Array.from(got.subarray(0, 5))).toEqual([1, 1, Infinity, 0, NaN]);
    expect(got[5]).toBe(Math.fround(Math.exp(Math.fround(88.72)))); // finite, near FLT_MAX
    expect(Number.isFinite(got[6])).toBe(true);
    expect(Array.from(got.subarray(7, 10))).toEqual([Infinity, Infinity, Infinity]);
    expect(got[10]).toBe(Math.fround(Math.exp(Math.fround(-87.3)))); // subnormal, not flushed
    expect(got[11]).toBe(2 ** -149); // the smallest subnormal
    expect(Array.from(got.subarray(12))).toEqual([0, 0, 0]);
  });

  it("does rows longer than one chunk, and reuses its memory", () => {
    const xs = new Float32Array(200_001);
    new Generator(3).fillUniform(xs, -20, 20);
    expect(worst(xs).ulps).toBeLessThanOrEqual(2);
    const bytes = OWN.get()!.memory.buffer.byteLength;
    expect(worst(xs.subarray(0, 1000)).ulps).toBeLessThanOrEqual(2);
    expect(worst(xs).ulps).toBeLessThanOrEqual(2);
    expect(OWN.get()!.memory.buffer.byteLength).toBe(bytes);
  });
});

describe("wasm SIMD float32 tanh and sigmoid (f64x2 lanes: <= 1 ulp)", () => {
  const sigmoidRef = (x: number) => 1 / (1 + Math.exp(-x));

  /** The kernel's op of `xs` (through the copy path; the arena path runs the same code). */
  function worstOf(op: "tanh" | "sigmoid", xs: Float32Array): { ulps: number; at: number } {
    const got = new Float32Array(xs.length);
    expect(kernel(op).tryWasm([xs, got], [0, 0], xs.length)).toBe(true);
    const ref = op === "tanh" ? Math.tanh : sigmoidRef;
    let result = { ulps: 0, at: NaN };
    for (let i = 0; i < xs.length; i++) {
      const d = ulps(got[i], Math.fround(ref(xs[i])));
      if (!(d <= result.ulps)) result = { ulps: d, at: xs[i] };
    }
    return result;
  }
  const worstTanh = (xs: Float32Array) => worstOf("tanh", xs);

  it("sigmoid is within 1 ulp on 400k random float32 in [-110, 30], subnormal results included", () => {
    const xs = new Float32Array(400_003);
    new Generator(13).fillUniform(xs, -110, 30);
    const r = worstOf("sigmoid", xs);
    expect(r.ulps, `worst at ${r.at}`).toBeLessThanOrEqual(1);
    const edge = new Float32Array([0, -0, Infinity, -Infinity, NaN, 200, -200, 1e-30]);
    const got = new Float32Array(edge.length);
    expect(kernel("sigmoid").tryWasm([edge, got], [0, 0], edge.length)).toBe(true);
    expect(Array.from(got)).toEqual([0.5, 0.5, 1, 0, NaN, 1, 0, 0.5]);
  });

  it("is within 1 ulp on 400k random float32 in [-12, 12] and on every float32 near the series' switch", () => {
    const xs = new Float32Array(400_003);
    new Generator(12).fillUniform(xs, -12, 12);
    expect(worstTanh(xs).ulps).toBeLessThanOrEqual(1);
    const near: number[] = [];
    for (let x = 0.0155; x <= 0.0157; x += 1e-9) near.push(x, -x);
    for (let x = 1e-30; x < 1; x *= 1.001) near.push(x, -x);
    const r = worstTanh(new Float32Array(near));
    expect(r.ulps, `worst at ${r.at}`).toBeLessThanOrEqual(1);
  });

  it("keeps the sign of zero, saturates, and passes NaN", () => {
    const xs = new Float32Array([0, -0, Infinity, -Infinity, NaN, 10, -10, 1e3, 1e-45, -1e-45]);
    const got = new Float32Array(xs.length);
    expect(kernel("tanh").tryWasm([xs, got], [0, 0], xs.length)).toBe(true);
    expect(Array.from(got)).toEqual([0, -0, 1, -1, NaN, 1, -1, 1, 1e-45, -1e-45].map(Math.fround));
    expect(Object.is(got[1], -0)).toBe(true);
  });
});

describe("exp dispatch", () => {
  afterEach(() => vi.restoreAllMocks());

  it("long contiguous float32 tensors use wasm; short, strided and float64 ones do not", () => {
    const used = vi.spyOn(FusedKernel.prototype, "tryWasm");
    const values = Array.from({ length: 3 * WASM_MIN_ELEMENTS }, (_, i) => (i % 97) / 7 - 6);
    const x = tensor(values, { dtype: "float32" }).reshape([3, WASM_MIN_ELEMENTS]);
    const y = Array.from(x.exp().toTypedArray());
    expect(used).toHaveBeenCalledTimes(1);
    y.forEach((v, i) => expect(ulps(v, Math.fround(Math.exp(Math.fround(values[i]))))).toBeLessThanOrEqual(2));
    used.mockClear();
    // a transposed view runs the strided JS loop, bit for bit expForFloat32
    expect(Array.from(x.T.exp().toTypedArray())).toEqual(Array.from(x.T.toTypedArray(), (v) => Math.fround(expForFloat32(v))));
    const short = tensor(values.slice(0, WASM_MIN_ELEMENTS - 1), { dtype: "float32" });
    expect(short.exp().toArray()).toEqual(values.slice(0, WASM_MIN_ELEMENTS - 1).map((v) => Math.fround(expForFloat32(Math.fround(v)))));
    expect(tensor(values, { dtype: "float64" }).exp().toArray()).toEqual(values.map(Math.exp));
    expect(used).not.toHaveBeenCalled();
  });
});

describe("fallback where WebAssembly SIMD is unavailable", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
    vi.resetModules();
  });

  it("a module the engine rejects loads as null (the ops then run their JS loops)", () => {
    expect(new WasmModule("junk", btoa(String.fromCharCode(0, 97, 115, 109, 1, 0, 0, 0, 99))).get()).toBeNull();
    vi.spyOn(WebAssembly, "validate").mockReturnValue(false); // as on an engine without SIMD128
    expect(new WasmModule("exp.wat", EXP_WASM_BASE64).get()).toBeNull();
  });

  it("the non-shared build differs from the shared one in the memory import's flag alone", () => {
    const shared = Uint8Array.from(atob(EXP_WASM_BASE64), (c) => c.charCodeAt(0));
    const own = unshareMemoryImport(shared);
    const diff = [...shared.keys()].filter((i) => shared[i] !== own[i]);
    expect(diff.length).toBe(1);
    expect([shared[diff[0]], own[diff[0]]]).toEqual([0x03, 0x01]);
    expect(() => new WebAssembly.Module(own)).not.toThrow();
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(own), { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 16384 }) } })).not.toThrow();
  });

  it("without WebAssembly, float32 exp runs the JS loop", async () => {
    vi.resetModules();
    vi.stubGlobal("WebAssembly", undefined);
    const fresh = await import("../src/index");
    const values = Array.from({ length: 4 * WASM_MIN_ELEMENTS }, (_, i) => (i % 89) / 5 - 9);
    const got = fresh.tensor(values, { dtype: "float32" }).exp().toArray();
    expect(got).toEqual(values.map((v) => Math.fround(expForFloat32(Math.fround(v)))));
  });
});

describe("generated module", () => {
  it("exp-wasm.ts is exp.wat as compiled now (run `pnpm build:wasm` after editing the .wat)", async () => {
    const m = KERNEL_MODULES[0];
    const bytes = await compileWat(m.wat, true);
    expect(readFileSync(m.generated, "utf8")).toBe(renderKernelModule(m, bytes));
    expect(WebAssembly.validate(new Uint8Array(bytes))).toBe(true);
  });
});
