import { arena } from "./arena";
import { ELEMENTWISE_SHARED_WASM_BASE64 } from "./elementwise-shared-wasm";
import { MATMUL_SHARED_WASM_BASE64 } from "./matmul-shared-wasm";
import { decodeBase64 } from "./load";
import { WasmMatmul, type GemmHelper, type MatmulExports } from "./simd-matmul";

/**
 * The two-thread matmul (Node only): the kernel of matmul.wat compiled with an imported
 * shared memory (matmul-shared-wasm.ts), instantiated on this thread and on one persistent
 * worker over the same WebAssembly.Memory. `WasmMatmul` stages and packs both operands here,
 * hands the lower rows of C to the worker and computes the upper rows meanwhile (see its
 * `matmul`). The hand-off is a few Int32 slots in a SharedArrayBuffer: the arguments, then a
 * state flipped with Atomics.store/notify; each side sleeps in Atomics.wait until it flips.
 * Blocking the main thread is what keeps `matmul` synchronous (Node allows Atomics.wait there;
 * browsers do not, which is one reason this path is Node only).
 *
 * The same worker also runs elementwise.wat's kernels on the arena's memory (arena.ts), so
 * that large elementwise ops and the RMSprop update are split in two halves as well
 * (`kernelHelper`; simd-elementwise.ts's ArenaKernels does the split).
 *
 * The worker starts on the first product or kernel that asks for it, is unref'd so it never
 * keeps the process alive, and sleeps between jobs. Wherever something is missing (not Node,
 * no SharedArrayBuffer, one core, the worker failed to start) `threadedMatmul` and
 * `kernelHelper` return null and the caller uses one thread.
 */

/** Int32 slots of the control block. */
const STATE = 0; // one of the states below
const READY = 1; // 0 while the worker starts, 1 once it waits for work, -1 if it could not start
const JOB = 2; // what to run: an index into JOBS
const ARGS = 3; // integer arguments, ARGS .. ARGS+5
const FLOATS = 9; // float32 arguments (RMSprop's constants), FLOATS .. FLOATS+3, as float bits
const CONTROL_SLOTS = 16;

/**
 * The jobs, by the export that runs them: gemm from matmul.wat; the rest from elementwise.wat
 * (integer arguments first, then RMSprop's four floats).
 */
export const JOBS = ["gemm", "rmsprop", "add", "sub", "mul", "div", "reluGrad", "exp", "tanh", "sigmoid", "relu"] as const;
export type Job = (typeof JOBS)[number];

/** Values of the STATE slot. */
const IDLE = 0, WORK = 1, DONE = 2, FAILED = 3, STOP = 4;

/** Shared memory limit in pages (1 GiB, simd-matmul.ts's MAX_BYTES); matches the shared build. */
const MAX_PAGES = 16384;

/** How long the first product waits for the worker to start before giving up on threads. */
const START_TIMEOUT_MS = 10_000;

/**
 * After a product the worker polls for the next one this long (ms) before it sleeps in
 * Atomics.wait. Waking a sleeping thread costs 50-60 us here (a VM); a hot one answers in
 * about 1 us. Measured, 2 cores: 128x256x256 takes 275 us on one thread, 275 us on two
 * with the worker asleep, 160 us with it polling; 256^3: 540, 410, 300 us. Consecutive
 * products (a training step) find it polling; the cost is up to this much idle CPU after each.
 */
const WORKER_SPIN_MS = 0.5;

/**
 * The worker, evaluated as a CommonJS script (no file to locate next to a bundle). It owns no
 * JS state but the instances: it waits for WORK, runs the job (jobs[ctl[JOB]] with its
 * arguments), reports DONE (FAILED if it threw; an elementwise job without the arena throws)
 * and waits again, until STOP.
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
let spinUntil = 0, polls = 0;
while (run !== undefined) {
  const s = Atomics.load(ctl, ${STATE});
  if (s === ${STOP}) break;
  if (s !== ${WORK}) {
    // the clock is read once per 1024 polls: it can cost a microsecond or more in a VM
    if ((++polls & 1023) === 0 && performance.now() >= spinUntil) Atomics.wait(ctl, ${STATE}, s);
    continue;
  }
  let r = ${DONE};
  try {
    const a = ${ARGS}, f = ${FLOATS};
    if (ctl[${JOB}] === 1) run[1](ctl[a], ctl[a + 1], ctl[a + 2], ctl[a + 3], floats[f], floats[f + 1], floats[f + 2], floats[f + 3]);
    else run[ctl[${JOB}]](ctl[a], ctl[a + 1], ctl[a + 2], ctl[a + 3], ctl[a + 4], ctl[a + 5]);
  } catch {
    r = ${FAILED};
  }
  Atomics.store(ctl, ${STATE}, r);
  Atomics.notify(ctl, ${STATE});
  spinUntil = performance.now() + ${WORKER_SPIN_MS};
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

/** The worker, seen from this thread: hand it a job, then wait for it. */
export class WorkerHelper implements GemmHelper {
  private readonly floats: Float32Array;

  constructor(private readonly ctl: Int32Array) {
    this.floats = new Float32Array(ctl.buffer);
  }

  start(m: number, n: number, k: number, ap: number, bp: number, c: number): void {
    this.post("gemm", m, n, k, ap, bp, c);
  }

  /** Start `job` with up to six integer arguments; returns at once. */
  post(job: Job, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): void {
    const ctl = this.ctl;
    ctl[JOB] = JOBS.indexOf(job);
    ctl[ARGS] = a0; ctl[ARGS + 1] = a1; ctl[ARGS + 2] = a2;
    ctl[ARGS + 3] = a3; ctl[ARGS + 4] = a4; ctl[ARGS + 5] = a5;
    Atomics.store(ctl, STATE, WORK); // orders the argument writes (and the data) before it
    Atomics.notify(ctl, STATE);
  }

  /** Start RMSprop's update (four addresses and counts, four float32 constants). */
  postRmsprop(p: number, g: number, v: number, n: number, A: number, W: number, EPS: number, NLR: number): void {
    const f = this.floats;
    f[FLOATS] = A; f[FLOATS + 1] = W; f[FLOATS + 2] = EPS; f[FLOATS + 3] = NLR;
    this.post("rmsprop", p, g, v, n);
  }

  finish(): boolean {
    const ctl = this.ctl;
    for (;;) {
      const s = Atomics.load(ctl, STATE);
      if (s === DONE) return true;
      if (s === FAILED) return false;
      Atomics.wait(ctl, STATE, s);
    }
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
  Atomics.store(r.ctl, STATE, STOP);
  Atomics.notify(r.ctl, STATE);
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
