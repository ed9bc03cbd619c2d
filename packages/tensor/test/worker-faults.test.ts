import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Generator, randn } from "../src/index";
import { arena } from "../src/kernels/wasm/arena";
import { kernelHelper, matmulWorkerRunning, setMatmulThreads, stopMatmulThreads, threadedMatmul, workerFaults } from "../src/kernels/wasm/threads";
import { wasmMatmul } from "../src/kernels/wasm/simd-matmul";

/**
 * The worker thread failing: dying in the middle of a shared job, or at its start. Either way
 * the op completes on this thread with the same bits as on one thread, at once (never a hang,
 * never the old 10 s wait for a worker that does not come), and the worker is dropped.
 */

const N = (1 << 21) + 7; // past the split thresholds: every kernel's long runs are shared

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function bits(t: Float32Array): Uint32Array {
  return new Uint32Array(Float32Array.from(t).buffer);
}

function expectSameBits(got: Float32Array, want: Float32Array): void {
  const g = bits(got), w = bits(want);
  expect(g.length).toBe(w.length);
  let diff = -1;
  for (let i = 0; i < g.length && diff < 0; i++) if (g[i] !== w[i]) diff = i;
  expect(diff).toBe(-1);
}

/** A fresh worker with the given faults, awake (booted) before the first job. */
async function freshWorker(faults: { failAtStart?: boolean; dieAtChunk?: number }): Promise<void> {
  await stopMatmulThreads();
  workerFaults.failAtStart = faults.failAtStart ?? false;
  workerFaults.dieAtChunk = faults.dieAtChunk ?? -1;
  setMatmulThreads(2);
  kernelHelper(); // starts it
  await sleep(200); // time to boot (or fail)
}

afterEach(() => {
  workerFaults.failAtStart = false;
  workerFaults.dieAtChunk = -1;
  setMatmulThreads(null);
});
afterAll(async () => {
  await stopMatmulThreads();
});

describe("a worker that dies in the middle of a job", () => {
  const g = new Generator(99);
  const a = randn([N], { generator: g }), b = randn([N], { generator: g });

  const ops: [string, () => Float32Array][] = [
    ["exp (out of place, compute-bound)", () => a.exp().storage as Float32Array],
    ["add (out of place, memory-bound)", () => a.add(b).storage as Float32Array],
    ["mul_ (in place: a redone chunk must not be applied twice)", () => {
      const c = a.clone();
      c.mul_(b);
      return c.storage as Float32Array;
    }],
  ];
  for (const [name, op] of ops) {
    it(`${name}: the chunks it claimed are finished here, with the same bits, well under a second`, async () => {
      expect(arena()?.holds(a.storage)).toBe(true);
      setMatmulThreads(1);
      const want = Float32Array.from(op());
      const deaths = workerFaults.deaths;
      // The worker exits on claiming its first chunk from chunk 2 on: it claims chunks only
      // once awake, so a few jobs may pass before it takes one.
      await freshWorker({ dieAtChunk: 2 });
      let slowest = 0;
      // (up to 200 tries: on a loaded machine the worker may sleep through many short jobs)
      for (let tries = 0; tries < 200 && workerFaults.deaths === deaths; tries++) {
        const t0 = performance.now();
        const got = op();
        slowest = Math.max(slowest, performance.now() - t0);
        expectSameBits(got, want);
        if (workerFaults.deaths === deaths) await sleep(5); // let it wake for the next try
      }
      expect(workerFaults.deaths).toBe(deaths + 1);
      expect(slowest).toBeLessThan(500);
      // a later job starts a new worker, which works
      await sleep(50);
      expectSameBits(op(), want);
      expect(matmulWorkerRunning()).toBe(true);
    });
  }
});

describe("a worker that fails at startup", () => {
  it("does not hold the first large product up, and is dropped", async () => {
    const g = new Generator(7);
    const m = 512, k = 512, n = 512;
    const x = new Float32Array(m * k), y = new Float32Array(k * n);
    g.fillNormal(x, 0, 1);
    g.fillNormal(y, 0, 1);
    const A = { data: x, offset: 0, rowStride: k, colStride: 1 }, B = { data: y, offset: 0, rowStride: n, colStride: 1 };
    const want = new Float32Array(m * n);
    expect(wasmMatmul()!.matmul(want, 0, A, B, m, k, n)).toBe(true);

    await stopMatmulThreads();
    workerFaults.failAtStart = true;
    setMatmulThreads(2);
    const deaths = workerFaults.deaths;
    // the very first product, while the worker is still starting: this thread does it all
    let t0 = performance.now();
    const first = new Float32Array(m * n);
    expect(threadedMatmul()!.matmul(first, 0, A, B, m, k, n)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(500);
    expectSameBits(first, want);
    await sleep(200); // it has failed by now
    t0 = performance.now();
    const second = new Float32Array(m * n);
    expect(threadedMatmul()!.matmul(second, 0, A, B, m, k, n)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(500);
    expectSameBits(second, want);
    expect(workerFaults.deaths).toBe(deaths + 1);
    // the next worker starts normally and shares products again
    await sleep(200);
    const third = new Float32Array(m * n);
    expect(threadedMatmul()!.matmul(third, 0, A, B, m, k, n)).toBe(true);
    expectSameBits(third, want);
    expect(matmulWorkerRunning()).toBe(true);
  });
});
