import { arena } from "./arena";
import { ELEMENTWISE_SHARED_WASM_BASE64 } from "./elementwise-shared-wasm";
import { MATMUL_SHARED_WASM_BASE64 } from "./matmul-shared-wasm";
import { decodeBase64 } from "./load";
import { WasmMatmul, type GemmHelper, type MatmulExports } from "./simd-matmul";

/**
 * The second thread (Node only): one persistent worker that shares the work of long kernels
 * with this thread. Both run the same wasm kernels on the same memory: matmul.wat compiled with
 * an imported shared memory (matmul-shared-wasm.ts), and elementwise.wat on the arena's memory
 * (arena.ts), so products, long elementwise rows and the RMSprop update are computed by both.
 *
 * A job is cut into chunks (row panels of a product, runs of a row), and the two threads claim
 * them one at a time from a shared counter (`WorkerHelper.run`). This thread starts at once; the
 * worker joins when it wakes, which costs 50-60 us here when it sleeps (a VM), ~1 us when it is
 * still polling after its last job. So whatever the worker's delay (asleep, or off the CPU while
 * the garbage collector's threads hold the other core), a job takes at most about what it takes
 * on one thread: this thread does every chunk the worker has not claimed. Every element is
 * computed by the same kernel call shape either way, so the results are the same bits.
 *
 * The hand-off is a few Int32 slots in a SharedArrayBuffer, written with Atomics. Blocking in
 * Atomics.wait is what keeps the kernels synchronous (Node allows it on the main thread;
 * browsers do not, one reason this path is Node only).
 *
 * The worker starts on the first job that asks for it, is unref'd so it never keeps the process
 * alive, and sleeps between jobs. Wherever something is missing (not Node, no
 * SharedArrayBuffer, one core, the worker failed to start) `threadedMatmul` and `kernelHelper`
 * return null and the caller uses one thread.
 */

/** Int32 slots of the control block. */
const GEN = 0; // the current job's number (1, 2, ...); CLOSED while the next one is written; STOPPED
const INSIDE = 1; // 1 while the worker is inside a job (between its check of GEN and its last claim)
const READY = 2; // 0 while the worker starts, 1 once it waits for work, -1 if it could not start
const JOB = 3; // what to run: an index into JOBS
const TOTAL = 4; // units of work: rows of C, or floats
const PER = 5; // units per chunk
const CHUNKS = 6; // ceil(TOTAL / PER)
const NEXT = 7; // the next chunk to claim (either thread: Atomics.add)
const FINISHED = 8; // chunks done
const FAILED = 9; // 1 if a chunk threw on the worker
const ARGS = 10; // three addresses with their per-chunk steps (a0 s0 a1 s1 a2 s2), then gemm's n and k
const FLOATS = 18; // float32 arguments (RMSprop's constants), FLOATS .. FLOATS+3, as float bits
const CONTROL_SLOTS = 24;

/** Values of GEN besides job numbers. */
const CLOSED = -1, STOPPED = -2;

/** @internal The control block's layout, for tests that drive a WorkerHelper without a worker. */
export const CONTROL = { slots: CONTROL_SLOTS, INSIDE, NEXT, FINISHED } as const;

/**
 * The jobs, by the export that runs them: gemm from matmul.wat; the rest from elementwise.wat.
 * How the worker calls each (chunk i covers `units` units at addresses a_j + i*s_j):
 *   gemm(units, n, k, a0, a1, a2); rmsprop(a0, a1, a2, units, four floats);
 *   binary ops f(a0, a1, a2, units); unary ops f(a0, a1, units).
 */
export const JOBS = ["gemm", "rmsprop", "add", "sub", "mul", "div", "reluGrad", "exp", "tanh", "sigmoid", "relu"] as const;
export type Job = (typeof JOBS)[number];
const FIRST_UNARY = JOBS.indexOf("exp");

/** This thread's way to run one chunk: `units` units at the chunk's three addresses. */
export type ChunkFn = (units: number, a0: number, a1: number, a2: number) => void;

/** Shared memory limit in pages (1 GiB, simd-matmul.ts's MAX_BYTES); matches the shared build. */
const MAX_PAGES = 16384;

/** How long the first product waits for the worker to start before giving up on threads. */
const START_TIMEOUT_MS = 10_000;

/**
 * After a job the worker polls for the next one this long (ms) before it sleeps in
 * Atomics.wait: consecutive jobs (a training step) find it awake. The cost is up to this much
 * idle CPU after each.
 */
const WORKER_SPIN_MS = 0.5;

/**
 * Polls of FINISHED before this thread sleeps waiting for the worker's last chunk (~0.1-0.3 ms:
 * longer than a chunk takes). Waking a sleeping thread costs ~50 us here, more than most waits.
 */
const FINISH_SPINS = 1 << 15;

/**
 * The worker, evaluated as a CommonJS script (no file to locate next to a bundle). It owns no
 * JS state but the instances and the number of the last job it took part in. For each new job
 * it says it is INSIDE, checks that GEN still names that job (else this thread may be rewriting
 * the slots: it steps out and looks again), then claims chunks until none is left.
 */
const WORKER_SOURCE = `"use strict";
const { workerData } = require("node:worker_threads");
const ctl = new Int32Array(workerData.control);
const floats = new Float32Array(workerData.control);
const jobs = ${JSON.stringify(JOBS)};
let run;
try {
  const mm = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports;
  const ew = workerData.elementwise === null ? {}
    : new WebAssembly.Instance(workerData.elementwise, { env: { memory: workerData.arena } }).exports;
  run = jobs.map((name) => (name === "gemm" ? mm.gemm : ew[name]));
  Atomics.store(ctl, ${READY}, 1);
} catch {
  Atomics.store(ctl, ${READY}, -1);
}
Atomics.notify(ctl, ${READY});
let seen = 0, spinUntil = 0, polls = 0;
while (run !== undefined) {
  const gen = Atomics.load(ctl, ${GEN});
  if (gen === ${STOPPED}) break;
  if (gen === seen || gen === ${CLOSED}) {
    // the clock is read once per 1024 polls: it can cost a microsecond or more in a VM
    if ((++polls & 1023) === 0 && performance.now() >= spinUntil) Atomics.wait(ctl, ${GEN}, gen);
    continue;
  }
  Atomics.store(ctl, ${INSIDE}, 1);
  if (Atomics.load(ctl, ${GEN}) === gen) {
    seen = gen;
    const job = ctl[${JOB}], f = run[job], total = ctl[${TOTAL}], per = ctl[${PER}], chunks = ctl[${CHUNKS}];
    const a0 = ctl[${ARGS}], s0 = ctl[${ARGS + 1}], a1 = ctl[${ARGS + 2}], s1 = ctl[${ARGS + 3}];
    const a2 = ctl[${ARGS + 4}], s2 = ctl[${ARGS + 5}], n = ctl[${ARGS + 6}], k = ctl[${ARGS + 7}];
    // job 0 is gemm, 1 rmsprop, then the binary ops, then the unary ones (JOBS)
    for (let i = Atomics.add(ctl, ${NEXT}, 1); i < chunks; i = Atomics.add(ctl, ${NEXT}, 1)) {
      const units = Math.min(per, total - i * per);
      try {
        if (job === 0) f(units, n, k, a0 + i * s0, a1 + i * s1, a2 + i * s2);
        else if (job === 1) f(a0 + i * s0, a1 + i * s1, a2 + i * s2, units, floats[${FLOATS}], floats[${FLOATS + 1}], floats[${FLOATS + 2}], floats[${FLOATS + 3}]);
        else if (job >= ${FIRST_UNARY}) f(a0 + i * s0, a1 + i * s1, units);
        else f(a0 + i * s0, a1 + i * s1, a2 + i * s2, units);
      } catch {
        Atomics.store(ctl, ${FAILED}, 1);
      }
      if (Atomics.add(ctl, ${FINISHED}, 1) + 1 === chunks) Atomics.notify(ctl, ${FINISHED});
    }
    spinUntil = performance.now() + ${WORKER_SPIN_MS};
  }
  Atomics.store(ctl, ${INSIDE}, 0);
}
`;

/** The parts of node:worker_threads and node:os used here (the package has no Node types). */
interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: "error", listener: (err: unknown) => void): unknown;
}
interface WorkerThreadsModule {
  Worker: new (source: string, options: { eval: true; workerData: unknown }) => NodeWorker;
}
interface OsModule {
  availableParallelism?: () => number;
  cpus(): unknown[];
}
interface NodeProcess {
  versions?: { node?: string };
  env?: Record<string, string | undefined>;
  getBuiltinModule?: (id: string) => unknown;
}

/** The worker, seen from this thread: share a job with it. */
export class WorkerHelper implements GemmHelper {
  private readonly floats: Float32Array;
  private gen = 0;
  /** Chunks of the last shared job, and how many of them the worker did (tests, tuning). */
  lastChunks = 0;
  lastByWorker = 0;

  constructor(private readonly ctl: Int32Array) {
    this.floats = new Float32Array(ctl.buffer);
  }

  /**
   * Run `job` over `total` units in chunks of `per`: chunk i covers units [i*per, (i+1)*per)
   * (the last one fewer) at addresses a_j + i*s_j. This thread and the worker claim chunks in
   * turn; `local` runs one here. Returns when every chunk is done: false if one threw on the
   * worker (a bug: the same call would trap here), true otherwise. `n` and `k` are gemm's.
   */
  run(job: Job, total: number, per: number, a0: number, s0: number, a1: number, s1: number, a2: number, s2: number, local: ChunkFn, n = 0, k = 0): boolean {
    const ctl = this.ctl;
    const chunks = Math.ceil(total / per);
    // Close the last job before rewriting the slots. If the worker is still inside it (it
    // woke late and is about to find no chunk left), it may yet read them: run this job here.
    Atomics.store(ctl, GEN, CLOSED);
    this.lastChunks = chunks;
    this.lastByWorker = 0;
    if (Atomics.load(ctl, INSIDE) !== 0) {
      for (let i = 0; i < chunks; i++) local(Math.min(per, total - i * per), a0 + i * s0, a1 + i * s1, a2 + i * s2);
      return true;
    }
    ctl[JOB] = JOBS.indexOf(job);
    ctl[TOTAL] = total; ctl[PER] = per; ctl[CHUNKS] = chunks;
    ctl[NEXT] = 0; ctl[FINISHED] = 0; ctl[FAILED] = 0;
    ctl[ARGS] = a0; ctl[ARGS + 1] = s0; ctl[ARGS + 2] = a1; ctl[ARGS + 3] = s1;
    ctl[ARGS + 4] = a2; ctl[ARGS + 5] = s2; ctl[ARGS + 6] = n; ctl[ARGS + 7] = k;
    this.gen = this.gen >= 0x7fffffff ? 1 : this.gen + 1;
    Atomics.store(ctl, GEN, this.gen); // publishes the writes above
    Atomics.notify(ctl, GEN);
    let mine = 0;
    for (let i = Atomics.add(ctl, NEXT, 1); i < chunks; i = Atomics.add(ctl, NEXT, 1)) {
      local(Math.min(per, total - i * per), a0 + i * s0, a1 + i * s1, a2 + i * s2);
      Atomics.add(ctl, FINISHED, 1);
      mine++;
    }
    this.lastByWorker = chunks - mine;
    // No chunk left to claim: wait for those the worker is still on.
    for (let spins = 0, f = Atomics.load(ctl, FINISHED); f < chunks; f = Atomics.load(ctl, FINISHED)) {
      if (++spins > FINISH_SPINS) Atomics.wait(ctl, FINISHED, f);
    }
    return Atomics.load(ctl, FAILED) === 0;
  }

  /** Set RMSprop's four float32 constants for the next `run("rmsprop", ...)`. */
  setFloats(A: number, W: number, EPS: number, NLR: number): void {
    const f = this.floats;
    f[FLOATS] = A; f[FLOATS + 1] = W; f[FLOATS + 2] = EPS; f[FLOATS + 3] = NLR;
  }
}

interface Running {
  worker: NodeWorker;
  ctl: Int32Array;
  matmul: WasmMatmul;
  helper: WorkerHelper;
  /** the worker also runs elementwise.wat on the arena */
  onArena: boolean;
}

/** undefined: not tried yet; null: unavailable here (never retried). */
let running: Running | null | undefined;
let override: 1 | 2 | null = null;

/**
 * How many threads large float32 products, and long float32 rows of the arena kernels
 * (elementwise ops, the RMSprop update), may use: 1 or 2. `setMatmulThreads(n)` decides; with
 * null (the default) the environment variable MINIGRAD_MATMUL_THREADS does ("1": one thread),
 * else 2. Two only take effect where the worker can run (see the module comment).
 */
export function setMatmulThreads(n: 1 | 2 | null): void {
  override = n;
}

export function matmulThreads(): 1 | 2 {
  if (override !== null) return override;
  return nodeProcess()?.env?.MINIGRAD_MATMUL_THREADS === "1" ? 1 : 2;
}

/**
 * The two-thread kernel, its worker started on first call (this call then waits for it, tens
 * of ms, once); null where it cannot run or when `matmulThreads()` is 1.
 */
export function threadedMatmul(): WasmMatmul | null {
  if (matmulThreads() < 2) return null;
  if (running === undefined) running = start();
  return running === null ? null : running.matmul;
}

/**
 * The worker, for elementwise.wat's kernels on the arena (started on first call, as for
 * matmul); null where it cannot run, when `matmulThreads()` is 1, or without an arena.
 */
export function kernelHelper(): WorkerHelper | null {
  if (matmulThreads() < 2) return null;
  if (running === undefined) running = start();
  return running === null || !running.onArena ? null : running.helper;
}

/** True if the worker is running (tests). */
export function matmulWorkerRunning(): boolean {
  return running != null;
}

/**
 * Stop the worker and forget it (the next product that wants two threads starts a new one).
 * Not needed before exit: the worker is unref'd. Tests call it so that no worker outlives them.
 */
export async function stopMatmulThreads(): Promise<void> {
  const r = running;
  running = undefined;
  if (r == null) return;
  Atomics.store(r.ctl, GEN, STOPPED);
  Atomics.notify(r.ctl, GEN);
  await r.worker.terminate();
}

function nodeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  return typeof p === "object" && p !== null ? p : undefined;
}

function start(): Running | null {
  const proc = nodeProcess();
  // process.getBuiltinModule (Node >= 20.16, 22.3) loads node:worker_threads synchronously
  // from an ES module and is absent outside Node: no import of a Node module anywhere, so
  // bundlers for the browser see nothing. Older Node stays single-threaded.
  if (proc?.versions?.node === undefined || typeof proc.getBuiltinModule !== "function") return null;
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object" || typeof WebAssembly !== "object") return null;
  let worker: NodeWorker | undefined;
  try {
    const os = proc.getBuiltinModule("node:os") as OsModule | undefined;
    const cores = os === undefined ? 1 : os.availableParallelism?.() ?? os.cpus().length;
    if (cores < 2) return null;
    const threads = proc.getBuiltinModule("node:worker_threads") as WorkerThreadsModule | undefined;
    if (threads === undefined) return null;

    const bytes = decodeBase64(MATMUL_SHARED_WASM_BASE64);
    if (!WebAssembly.validate(bytes)) return null;
    const module = new WebAssembly.Module(bytes);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const { pack, gemm, addRow } = new WebAssembly.Instance(module, { env: { memory } }).exports;
    if (typeof pack !== "function" || typeof gemm !== "function" || typeof addRow !== "function") return null;
    const ctl = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
    // elementwise.wat on the arena, when there is one (the same module ArenaKernels runs here)
    const onArena = arena();
    const elementwise = onArena === null ? null : new WebAssembly.Module(decodeBase64(ELEMENTWISE_SHARED_WASM_BASE64));

    worker = new threads.Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, memory, control: ctl.buffer, elementwise, arena: onArena?.memory ?? null },
    });
    worker.unref();
    const w = worker;
    w.on("error", () => {
      // Only possible outside a job (the kernels' traps are caught in the worker): stop using it.
      if (running != null && running.worker === w) running = null;
    });
    // The worker boots on its own thread, so blocking this one does not hold it up.
    if (Atomics.wait(ctl, READY, 0, START_TIMEOUT_MS) === "timed-out" || Atomics.load(ctl, READY) !== 1) {
      void worker.terminate();
      return null;
    }
    const exports: MatmulExports = {
      memory, pack: pack as MatmulExports["pack"], gemm: gemm as MatmulExports["gemm"], addRow: addRow as MatmulExports["addRow"],
    };
    const helper = new WorkerHelper(ctl);
    return { worker, ctl, matmul: new WasmMatmul(exports, helper), helper, onArena: elementwise !== null };
  } catch {
    if (worker !== undefined) void worker.terminate();
    return null; // e.g. shared memory refused, or a CSP forbidding wasm compilation
  }
}
