import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Generator, Tensor, randn, tensor, tidy, zeros } from "../src/index";
import { arena } from "../src/kernels/wasm/arena";
import { matmulWorkerRunning, setMatmulThreads } from "../src/kernels/wasm/threads";
import * as wasm from "../src/kernels/accelerate";
import { WasmModule } from "../src/kernels/wasm/module";
import { ARITHMETIC_WASM_BASE64 } from "../src/kernels/wasm/arithmetic-wasm";
import { EXP_WASM_BASE64 } from "../src/kernels/wasm/exp-wasm";
import { SOFTMAX_WASM_BASE64 } from "../src/kernels/wasm/softmax-wasm";
import * as k from "../src/kernels/elementwise";
import { reduceInto } from "../src/kernels/reduce";
import { logSoftmaxGradRows, softmaxRows, softmaxRowsJs } from "../src/kernels/softmax";
import { KERNEL_MODULES, compileWat, renderKernelModule } from "../scripts/wat";

/**
 * The WebAssembly SIMD kernels (exp.wat, arithmetic.wat, softmax.wat) on arena storage, through copies, and over a
 * memory of their own (the path of engines without SharedArrayBuffer), against the JS row
 * kernels on plain typed arrays: the same bits, at every length and offset (the kernels do 4
 * floats a vector and the 0-3 left one at a time, and write nothing else).
 */

/** The module over a memory of its own, and each kernel over the arena or that memory, at any length. */
const OWN_EXP = new WasmModule("exp.wat", EXP_WASM_BASE64, { arena: false });
const OWN_ARITHMETIC = new WasmModule("arithmetic.wat", ARITHMETIC_WASM_BASE64, { arena: false });
const OWN_SOFTMAX = new WasmModule("softmax.wat", SOFTMAX_WASM_BASE64, { arena: false });
const onArena = (op: wasm.ElementwiseKernel) => wasm.elementwiseKernel(op, undefined, 1);
const own = (op: wasm.ElementwiseKernel) =>
  wasm.elementwiseKernel(op, wasm.POLICY[op].module === wasm.EXP ? OWN_EXP : OWN_ARITHMETIC, 1);

/** A float32 array in the arena with `values` at `at`, surrounded by a sentinel. */
function inArena(values: Float32Array, at: number, length = values.length + at + 5): Float32Array {
  const data = arena()?.allocate(Float32Array, Math.max(length, 4096));
  if (data == null) throw new Error("arena full");
  data.fill(-7);
  data.set(values, at);
  return data;
}

/** Values with the awkward cases mixed in: zeros of both signs, NaN, infinities, subnormals. */
function awkward(n: number, seed: number): Float32Array {
  const g = new Generator().manualSeed(seed);
  const xs = randn([n], { generator: g }).mul(3).storage as Float32Array;
  const special = [0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40, 3.4e38, -3.4e38, 100, -100];
  for (let i = 0; i < n; i += 7) xs[i] = special[(i / 7) % special.length];
  return Float32Array.from(xs);
}

const sameBits = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!(Object.is(a[i], b[i]) || (Number.isNaN(a[i]) && Number.isNaN(b[i])))) {
      throw new Error(`element ${i}: ${a[i]} vs ${b[i]}`);
    }
  }
};

/** reduce.ts's JS sum of a plain array (one row into one slot), for comparison. */
function sumRowOf(acc: Float64Array, xs: Float32Array): void {
  reduceInto("sum", acc, [0], { _data: xs, shape: [xs.length], strides: [1], offset: 0 });
}

const ROWS: readonly (readonly [number, number])[] = [[1, 0], [3, 1], [4, 0], [5, 2], [127, 3], [128, 0], [1001, 1], [4099, 2]];

describe("arena kernels match the JS kernels bit for bit", () => {
  const scalar = { add: (x: number, y: number) => x + y, sub: (x: number, y: number) => x - y, mul: (x: number, y: number) => x * y, div: (x: number, y: number) => x / y };
  for (const op of ["add", "sub", "mul", "div"] as const) {
    it(`${op}: in the arena, through copies, and the JS loop (below 128)`, () => {
      for (const [n, at] of [...ROWS, [70001, 3] as const]) {
        const xs = awkward(n, n), ys = awkward(n, n + 1);
        const expected = xs.map((x, i) => scalar[op](x, ys[i])); // float32 rounding of the exact double result
        const a = inArena(xs, at), b = inArena(ys, at + 1), out = inArena(new Float32Array(0), 0, n + 6);
        expect(onArena(op).tryWasm([a, b, out], [at, at + 1, 2], n)).toBe(true);
        sameBits(out.subarray(2, 2 + n), expected);
        expect([out[0], out[1], out[2 + n], out[3 + n]]).toEqual([-7, -7, -7, -7]);
        const viaRowKernel = new Float32Array(n); // plain arrays: copies from 128 floats, else the JS loop
        wasm.fast[op](viaRowKernel, 0, 1, xs, 0, 1, ys, 0, 1, n);
        sameBits(viaRowKernel, expected);
      }
    });
  }

  it("reluGrad (relu's backward: g where y > 0 or NaN, else 0)", () => {
    for (const [n, at] of ROWS) {
      const gs = awkward(n, n + 2), ys = awkward(n, n + 3).map((v) => (Object.is(v, -0) ? 0 : v)); // relu never gives -0
      const g = inArena(gs, at), y = inArena(ys, at + 1), out = inArena(new Float32Array(0), 0, n + 6);
      expect(onArena("reluGrad").tryWasm([g, y, out], [at, at + 1, 2], n)).toBe(true);
      const expected = gs.map((v, i) => (ys[i] <= 0 ? 0 : v)); // the reference semantics
      sameBits(out.subarray(2, 2 + n), expected);
      expect([out[0], out[1], out[2 + n], out[3 + n]]).toEqual([-7, -7, -7, -7]);
      const copied = new Float32Array(n); // a memory of its own, and the JS row kernel (bit loop below 128)
      expect(own("reluGrad").tryWasm([gs, ys, copied], [0, 0, 0], n)).toBe(true);
      sameBits(copied, expected);
      const js = new Float32Array(n);
      k.reluGrad(js, 0, 1, gs, 0, 1, ys, 0, 1, n);
      sameBits(js, expected);
    }
  });

  for (const op of ["exp", "tanh", "sigmoid", "relu"] as const) {
    it(op, () => {
      for (const [n, at] of ROWS) {
        const xs = awkward(n, 10 * n);
        const a = inArena(xs, at), out = inArena(new Float32Array(0), 0, n + 6);
        expect(onArena(op).tryWasm([a, out], [at, 2], n)).toBe(true);
        const expected = new Float32Array(n);
        // relu: torch's definition (NaN stays, -0 becomes 0); exp, tanh, sigmoid: the
        // copy-in/copy-out wasm path (their accuracy is exp-wasm.test.ts's)
        if (op === "relu") {
          expected.set(xs.map((x) => (x > 0 ? x : x === x ? 0 : x)));
          const viaRowKernel = new Float32Array(n); // the JS bit loop below 128, the copy path above
          wasm.fast.relu(viaRowKernel, 0, 1, xs, 0, 1, n);
          sameBits(viaRowKernel, expected);
        } else expect(own(op).tryWasm([xs, expected], [0, 0], n)).toBe(true);
        sameBits(out.subarray(2, 2 + n), expected);
        expect([out[0], out[1], out[2 + n], out[3 + n]]).toEqual([-7, -7, -7, -7]);
      }
    });
  }

  it("sum: the same float64 as the JS kernel's eight sums, at every length and offset", () => {
    for (const [n, at] of [...ROWS, [4103, 1] as const, [8, 0] as const, [15, 3] as const]) {
      const xs = awkward(n, 3 * n).map((v) => (Number.isFinite(v) ? v : 1)); // a NaN/Inf would hide the rounding
      const a = inArena(xs, at);
      const got = wasm.sumOnArena(a, at, n);
      const acc = new Float64Array(1);
      sumRowOf(acc, xs);
      expect(got === null ? NaN : got).toBe(acc[0]);
    }
    expect(wasm.sumOnArena(new Float32Array(8), 0, 8)).toBeNull();
  });

  it("softmax and log-softmax rows: the JS kernel's bits, in place and through copies", () => {
    const specialRows = [
      [0, -0, 0, -0, 1e-40, -1e-40, 0, 0, 0], // equal maxima, zeros of both signs, subnormals
      [-Infinity, -Infinity, -Infinity], // nothing beats -inf: NaN rows, as the JS kernel
      [NaN, 1, 2, 3, 4, 5, 6, 7, 8, 9], // NaN never wins the max, but spreads through the sum
      [Infinity, 1, 2], [-Infinity, 0, 1, 2, 3, 4, 5, 6, 7], [100, -100, 50, -50, 88, -88, 104, -104],
      [3.4e38, -3.4e38, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    ];
    for (const log of [false, true]) {
      for (const row of specialRows) {
        const xs = Float32Array.from(row), n = xs.length;
        const want = new Float32Array(n), copied = new Float32Array(n);
        softmaxRowsJs(want, xs, 1, n, log);
        expect(wasm.softmaxRows(copied, xs, 1, n, log, OWN_SOFTMAX)).toBe(true);
        sameBits(copied, want);
      }
      for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 10, 15, 16, 17, 100, 1001]) {
        const rows = Math.ceil(3000 / n), at = n % 3;
        const xs = randn([rows * n], { generator: new Generator().manualSeed(n) }).mul(n % 2 ? 4 : 30).storage as Float32Array;
        const want = new Float32Array(rows * n);
        softmaxRowsJs(want, xs, rows, n, log);
        const a = inArena(xs, at), out = inArena(new Float32Array(0), 0, rows * n + 6);
        expect(wasm.softmaxRows(out.subarray(2), a.subarray(at), rows, n, log)).toBe(true);
        sameBits(out.subarray(2, 2 + rows * n), want);
        expect([out[0], out[1], out[2 + rows * n]]).toEqual([-7, -7, -7]);
        const copied = new Float32Array(rows * n);
        softmaxRows(copied, xs, rows, n, log); // the dispatch: plain arrays go through copies (arena scratch)
        sameBits(copied, want);
        expect(wasm.softmaxRows(a.subarray(at), a.subarray(at), rows, n, log)).toBe(true); // in place
        sameBits(a.subarray(at, at + rows * n), want);
      }
    }
  });

  it("log-softmax backward rows: d - fl(fl(exp(y)) * s), as the JS loop", () => {
    for (const n of [1, 3, 4, 5, 10, 17, 1001]) {
      const rows = Math.ceil(2000 / n);
      const y = awkward(rows * n, 7 * n).map((v) => -Math.abs(v)); // log-probabilities are <= 0 (or NaN)
      const d = awkward(rows * n, 9 * n), sums = awkward(rows, 11 * n);
      const want = d.map((v, i) => v - Math.fround(Math.fround(Math.exp(y[i])) * sums[Math.floor(i / n)]));
      const got = Float32Array.from(d);
      expect(wasm.logSoftmaxGradRows(got, y, sums, rows, n, OWN_SOFTMAX)).toBe(true);
      sameBits(got, want);
      const viaDispatch = Float32Array.from(d);
      logSoftmaxGradRows(viaDispatch, y, sums, rows, n);
      sameBits(viaDispatch, want);
    }
  });

  it("columnSums: a batch of rows summed in float64, row after row, as the JS loop", () => {
    for (const [rows, n, at] of [[2, 64, 0], [32, 128, 3], [32, 10, 1], [3, 1001, 2], [1000, 3, 0], [70000, 2, 5]]) {
      const a = awkward(rows * n + at, rows + n).map((v) => (Number.isFinite(v) ? v : 1)); // finite, to see the rounding
      const want = new Float64Array(n);
      for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) want[j] += a[at + i * n + j];
      const got = new Float64Array(n);
      expect(wasm.columnSums(got, a, at, rows, n, OWN_ARITHMETIC)).toBe(true);
      const staged = new Float64Array(n); // through copies into the arena's scratch
      expect(wasm.columnSums(staged, a, at, rows, n)).toBe(true);
      expect(Array.from(staged)).toEqual(Array.from(want));
      expect(Array.from(got)).toEqual(Array.from(want));
      // the dispatch: tensor.sum(0) of a contiguous float32 matrix, rounded once to float32
      const t = new Tensor(a.subarray(at), [rows, n]);
      expect(Array.from(t.sum(0).storage)).toEqual(Array.from(Float32Array.from(want)));
    }
  });

  it("in place (out is an input)", () => {
    const xs = awkward(999, 5), a = inArena(xs, 0);
    expect(onArena("mul").tryWasm([a, a, a], [0, 0, 0], 999)).toBe(true);
    const expected = new Float32Array(999);
    k.mul(expected, 0, 1, xs, 0, 1, xs, 0, 1, 999);
    sameBits(a.subarray(0, 999), expected);
  });

  it("stage storage outside the arena through copies, in and out, and decline another type", () => {
    const xs = awkward(70001, 8), ys = awkward(70001, 9);
    const a = inArena(xs, 0), plain = Float32Array.from(ys), out = new Float32Array(70001 + 2).fill(-7);
    expect(onArena("add").tryWasm([a, plain, out], [0, 0, 1], 70001)).toBe(true);
    const expected = new Float32Array(70001);
    k.add(expected, 0, 1, xs, 0, 1, ys, 0, 1, 70001);
    sameBits(out.subarray(1, 70002), expected);
    expect([out[0], out[70002]]).toEqual([-7, -7]);
    const inPlace = Float32Array.from(xs); // out is an input, outside the arena
    expect(onArena("mul").tryWasm([inPlace, inPlace, inPlace], [0, 0, 0], 70001)).toBe(true);
    k.mul(expected, 0, 1, xs, 0, 1, xs, 0, 1, 70001);
    sameBits(inPlace, expected);
    expect(onArena("exp").tryWasm([new Float64Array(a.buffer, 0, 8), a], [0, 0], 8)).toBe(false);
    expect(wasm.elementwiseKernel("exp").tryWasm([a, a], [0, 0], 100)).toBe(false); // below the policy's 128
  });
});

describe("tensor ops take the arena path and agree with plain storage", () => {
  it("add, sub, mul, div, exp, tanh, sigmoid, relu on large tensors", () => {
    const shape = [1025, 257];
    const a = randn(shape), b = randn(shape);
    expect(arena()?.holds(a.storage)).toBe(true);
    const plain = (t: Tensor) => new Tensor(Float32Array.from(t.storage), t.shape);
    const pa = plain(a), pb = plain(b);
    expect(arena()?.holds(pa.storage)).toBe(false);
    for (const op of ["add", "sub", "mul", "div"] as const) {
      sameBits(a[op](b).storage as Float32Array, pa[op](pb).storage as Float32Array);
    }
    sameBits(a.exp().storage as Float32Array, pa.exp().storage as Float32Array);
    // tanh and sigmoid: wasm on both (within 1 ulp of the JS loop, the same kernel's bits)
    for (const op of ["tanh", "sigmoid"] as const) {
      const viaKernel = new Float32Array(a.numel);
      expect(own(op).tryWasm([pa.storage as Float32Array, viaKernel], [0, 0], a.numel)).toBe(true);
      sameBits(a[op]().storage as Float32Array, viaKernel);
      sameBits(pa[op]().storage as Float32Array, viaKernel);
    }
    sameBits(a.relu().storage as Float32Array, pa.relu().storage as Float32Array);
    for (const log of [false, true]) {
      const [sa, sp] = log ? [a.logSoftmax(1), pa.logSoftmax(1)] : [a.softmax(1), pa.softmax(1)];
      expect(arena()?.holds(sa.storage)).toBe(true);
      sameBits(sa.storage as Float32Array, sp.storage as Float32Array);
    }
    // a broadcast bias and a transposed operand go by the odometer, partly on the JS loop
    const bias = tensor(Array.from({ length: 257 }, (_, i) => i / 7));
    sameBits(a.add(bias).storage as Float32Array, pa.add(bias).storage as Float32Array);
  });
});

describe("long rows are split with the worker thread", () => {
  it("the same bits on two threads as on one, for every kernel", () => {
    // In a tidy scope, so that every operand is arena storage (the in-place split), whatever
    // the tests before used of the arena's budget for collector-only blocks.
    tidy(() => {
      const shape = [(1 << 21) + 7]; // past the split threshold of the memory-bound kernels
      const a = randn(shape), b = randn(shape);
      const reluGrad = (g: Tensor, y: Tensor) => {
        const out = zeros(g.shape); // in the arena, so the kernel splits it too
        expect(arena()?.holds(out._data)).toBe(true);
        wasm.fast.reluGrad(out._data, 0, 1, g._data, 0, 1, y._data, 0, 1, g.numel);
        return out;
      };
      const all = () =>
        [a.add(b), a.sub(b), a.mul(b), a.div(b), a.exp(), a.tanh(), a.sigmoid(), a.relu(), reluGrad(a, b.relu())]
          .map((t) => {
            expect(arena()?.holds(t._data)).toBe(true);
            const values = Float32Array.from(t._data);
            t.dispose(); // 8 MB each: free its arena block now
            return values;
          });
      const two = all();
      expect(matmulWorkerRunning()).toBe(true);
      setMatmulThreads(1);
      try {
        const one = all();
        for (let i = 0; i < one.length; i++) sameBits(two[i], one[i]);
      } finally {
        setMatmulThreads(null);
      }
    });
  });
});

describe("the generated module", () => {
  for (const m of KERNEL_MODULES) {
    it(`${m.generated.slice(m.generated.lastIndexOf("/") + 1)} is current with its .wat (run \`pnpm build:wasm\` after editing it)`, async () => {
      const bytes = await compileWat(m.wat, true);
      expect(readFileSync(m.generated, "utf8")).toBe(renderKernelModule(m, bytes));
    });
  }
});
