import { readFileSync } from "node:fs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Generator, randn } from "../src/index";
import { THREADS_MIN_MULADDS, matmulKernel, type Matrix } from "../src/kernels/matmul";
import { wasmMatmul } from "../src/kernels/wasm/simd-matmul";
import { WorkerHelper, kernelHelper, matmulThreads, matmulWorkerRunning, setMatmulThreads, stopMatmulThreads, threadedMatmul } from "../src/kernels/wasm/threads";
import { CONTROL_SLOTS, MAX_CHUNKS, SLOT, STATE } from "../src/kernels/wasm/control";
import { SHARED_GENERATED_PATH, compileSharedMatmulWat, renderSharedMatmulModule } from "../scripts/wat";

/**
 * The two-thread matmul (kernels/wasm/threads.ts): the two threads compute chunks of rows of C
 * with the same kernel and the same k order per element, so the result must equal the
 * single-threaded wasm kernel's bit for bit.
 */

const rng = new Generator(4321);

function operand(rows: number, cols: number, transposed = false): Matrix {
  const data = new Float32Array(rows * cols + 5);
  rng.fillNormal(data, 0, 1);
  return transposed
    ? { data, offset: 5, rowStride: 1, colStride: rows }
    : { data, offset: 5, rowStride: cols, colStride: 1 };
}

function singleThread(a: Matrix, b: Matrix, m: number, k: number, n: number): Float32Array {
  const out = new Float32Array(m * n);
  expect(wasmMatmul()!.matmul(out, 0, a, b, m, k, n)).toBe(true);
  return out;
}

function expectSameBits(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  let diff = -1;
  for (let i = 0; i < g.length; i++) if (g[i] !== w[i]) { diff = i; break; }
  expect(diff).toBe(-1);
}

afterEach(() => setMatmulThreads(null));
afterAll(async () => {
  await stopMatmulThreads();
  expect(matmulWorkerRunning()).toBe(false);
});

describe("two-thread matmul", () => {
  it("is available in Node 20 with two cores (this machine)", () => {
    setMatmulThreads(2);
    expect(threadedMatmul()).not.toBeNull();
    expect(matmulWorkerRunning()).toBe(true);
  });

  // m: odd, a multiple of 4, just above the split minimum, not a multiple of 4 in either half
  const shapes: [number, number, number][] = [
    [8, 3, 5], [9, 17, 13], [13, 64, 33], [37, 100, 29], [64, 784, 256], [127, 129, 131], [255, 600, 9], [300, 1000, 33], [512, 512, 512],
  ];
  for (const [m, k, n] of shapes) {
    it(`equals the single-thread kernel bit for bit: ${m}x${k} @ ${k}x${n}`, () => {
      setMatmulThreads(2);
      const threaded = threadedMatmul()!;
      for (const [ta, tb] of [[false, false], [false, true], [true, false]]) {
        const a = operand(m, k, ta), b = operand(k, n, tb);
        const want = singleThread(a, b, m, k, n);
        const got = new Float32Array(m * n + 3).fill(7);
        expect(threaded.matmul(got, 2, a, b, m, k, n)).toBe(true);
        expectSameBits(got.subarray(2, 2 + m * n), want);
        expect([got[0], got[1], got[2 + m * n]]).toEqual([7, 7, 7]); // nothing written outside
      }
    });
  }

  it("shares a product's chunks with the worker: both threads take some", () => {
    setMatmulThreads(2);
    const threaded = threadedMatmul()!;
    const helper = kernelHelper()!;
    const [m, k, n] = [512, 512, 512];
    const a = operand(m, k), b = operand(k, n);
    const want = singleThread(a, b, m, k, n);
    let byWorker = 0;
    // The worker joins once it wakes (~50 us); a 512^3 product takes milliseconds, so it takes
    // part in nearly every one. A few tries allow for a busy machine.
    for (let tries = 0; tries < 20 && byWorker === 0; tries++) {
      const got = new Float32Array(m * n);
      expect(threaded.matmul(got, 0, a, b, m, k, n)).toBe(true);
      expectSameBits(got, want);
      expect(helper.lastChunks).toBe(128); // chunks of 4 rows (2^20 multiply-adds / 512^2)
      byWorker = helper.lastByWorker;
    }
    expect(byWorker).toBeGreaterThan(0);
    expect(byWorker).toBeLessThan(128); // this thread claims the first chunk at once
  });

  it("runs every chunk on this thread when the worker is absent, dead, failed, still starting or leaving its last job", () => {
    const job = { kernel: null, pointers: [100, 200, 300], steps: [12, 12, 12] };
    const cases: [string, (ctl: Int32Array) => void, boolean][] = [
      ["still starting (it joins once ready)", () => {}, false],
      ["inside its last job", (ctl) => { ctl[SLOT.INSIDE] = 1; }, false],
      ["dead (its exit event cleared ALIVE)", (ctl) => { ctl[SLOT.ALIVE] = 0; }, true],
      ["failed to start", (ctl) => { ctl[SLOT.READY] = STATE.FAILED; }, true],
    ];
    for (const [, set, dead] of cases) {
      const ctl = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
      ctl[SLOT.ALIVE] = 1;
      set(ctl);
      let dropped = false;
      const helper = new WorkerHelper(ctl, new Int32Array(new SharedArrayBuffer(MAX_CHUNKS * 4)), null, () => { dropped = true; });
      const calls: number[][] = [];
      const ok = helper.run(job, 10, 3, (units, i) => { calls.push([units, 100 + 12 * i, 200 + 12 * i, 300 + 12 * i]); });
      expect(ok).toBe(true);
      expect(calls).toEqual([[3, 100, 200, 300], [3, 112, 212, 312], [3, 124, 224, 324], [1, 136, 236, 336]]);
      expect([helper.lastChunks, helper.lastByWorker]).toEqual([4, 0]);
      expect(dropped).toBe(dead);
    }
  });

  it("is what matmulKernel uses for large float32 products, and the tensor matmul agrees", () => {
    setMatmulThreads(2);
    const [m, k, n] = [257, 256, 260];
    expect(m * k * n).toBeGreaterThanOrEqual(THREADS_MIN_MULADDS);
    const a = operand(m, k), b = operand(k, n);
    const out = new Float32Array(m * n);
    matmulKernel(out, 0, a, b, m, k, n);
    expectSameBits(out, singleThread(a, b, m, k, n));

    const x = randn([2, m, k], { generator: rng }), y = randn([k, n], { generator: rng });
    const two = x.matmul(y);
    setMatmulThreads(1);
    const one = x.matmul(y);
    expectSameBits(two.contiguous().storage as Float32Array, one.contiguous().storage as Float32Array);
  });

  it("falls back to one thread when disabled (setMatmulThreads(1) or MINIGRAD_MATMUL_THREADS=1)", async () => {
    await stopMatmulThreads();
    setMatmulThreads(1);
    expect(matmulThreads()).toBe(1);
    expect(threadedMatmul()).toBeNull();
    const [m, k, n] = [256, 256, 260];
    expect(m * k * n).toBeGreaterThanOrEqual(THREADS_MIN_MULADDS);
    const a = operand(m, k), b = operand(k, n);
    const out = new Float32Array(m * n);
    matmulKernel(out, 0, a, b, m, k, n);
    expectSameBits(out, singleThread(a, b, m, k, n));
    expect(matmulWorkerRunning()).toBe(false); // no worker was started

    setMatmulThreads(null);
    const before = process.env.MINIGRAD_MATMUL_THREADS;
    process.env.MINIGRAD_MATMUL_THREADS = "1";
    try {
      expect(matmulThreads()).toBe(1);
      expect(threadedMatmul()).toBeNull();
    } finally {
      if (before === undefined) delete process.env.MINIGRAD_MATMUL_THREADS;
      else process.env.MINIGRAD_MATMUL_THREADS = before;
    }
  });

  it("starts again after being stopped", async () => {
    setMatmulThreads(2);
    expect(threadedMatmul()).not.toBeNull();
    await stopMatmulThreads();
    expect(matmulWorkerRunning()).toBe(false);
    const [m, k, n] = [40, 50, 60];
    const a = operand(m, k), b = operand(k, n);
    const got = new Float32Array(m * n);
    expect(threadedMatmul()!.matmul(got, 0, a, b, m, k, n)).toBe(true);
    expectSameBits(got, singleThread(a, b, m, k, n));
  });

  it("matmul-shared-wasm.ts is matmul.wat as compiled now, memory shared (run `pnpm build:wasm`)", async () => {
    const bytes = await compileSharedMatmulWat();
    expect(readFileSync(SHARED_GENERATED_PATH, "utf8")).toBe(renderSharedMatmulModule(bytes));
  });
});
