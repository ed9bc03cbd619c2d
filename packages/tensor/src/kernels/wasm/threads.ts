import { arena } from "./arena";
import { CONTROL_SLOTS, MAX_CHUNKS, SLOT, STATE } from "./control";
import { WorkerHelper } from "./job";
import { MATMUL_SHARED_WASM_BASE64 } from "./matmul-shared-wasm";
import { decodeBase64 } from "./load";
import { WasmMatmul, type MatmulExports } from "./simd-matmul";
import { WORKER_SOURCE } from "./worker-source";

/**
 * The second thread (Node only): one persistent worker that shares the work of long kernels
 * with this thread. Both run the same wasm code on the same memory: matmul.wat over the
 * product's shared memory, and every fused kernel (fused.ts) over the arena (arena.ts).
 *
 * A job is cut into chunks (row panels of a product, runs of elements), and the two threads
 * claim them one at a time from a shared counter (`WorkerHelper.run`). This thread starts at
 * once; the worker joins when it wakes (50-60 us when it sleeps, ~1 us while it still polls
 * after its last job). So whatever the worker's delay, a job takes at most about what it takes
 * on one thread. Every element is computed by the same kernel call either way: the same bits.
 *
 * Nothing ever waits for the worker to start: jobs before it is ready run here. If it fails
 * to start, or dies (its exit event clears ALIVE and wakes this thread), the chunks it did not
 * finish are done here and the worker is dropped; a later job starts a new one, at most
 * MAX_RESTARTS times. Blocking in Atomics.wait keeps the kernels synchronous (Node allows it on
 * the main thread; browsers do not, one reason this path is Node only).
 */

export { WorkerHelper, type ChunkFn, type Job, type SharedKernel } from "./job";

/** Workers started after the first one died, before threads are given up for good. */
const MAX_RESTARTS = 2;

/** The parts of node:worker_threads and node:os used here (the package has no Node types). */
interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: "error" | "exit", listener: (arg: unknown) => void): unknown;
}
interface NodePort {
  postMessage(message: unknown): void;
  unref(): void;
  close(): void;
}
interface WorkerThreadsModule {
  Worker: new (source: string, options: { eval: true; workerData: unknown; transferList: unknown[] }) => NodeWorker;
  MessageChannel: new () => { port1: NodePort; port2: NodePort };
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

interface Running {
  worker: NodeWorker;
  ctl: Int32Array;
  port: NodePort;
  matmul: WasmMatmul;
  helper: WorkerHelper;
  /** the worker also runs fused kernels on the arena */
  onArena: boolean;
}

/** undefined: not started; null: unavailable here or given up (never retried). */
let running: Running | null | undefined;
let restarts = 0;
let override: 1 | 2 | null = null;

/**
 * @internal Faults for tests: the next worker started fails at start, or exits on claiming
 * a chunk of index `dieAtChunk` or more of a fused job; `deaths` counts the workers dropped.
 */
export const workerFaults = { failAtStart: false, dieAtChunk: -1, deaths: 0 };

/**
 * How many threads large float32 products, and long runs of the fused kernels (elementwise
 * ops, optimizer updates), may use: 1 or 2. `setMatmulThreads(n)` decides; with null (the
 * default) the environment variable MINIGRAD_MATMUL_THREADS does ("1": one thread), else 2.
 * Two only take effect where the worker can run (see the module comment).
 */
export function setMatmulThreads(n: 1 | 2 | null): void {
  override = n;
}

export function matmulThreads(): 1 | 2 {
  if (override !== null) return override;
  return nodeProcess()?.env?.MINIGRAD_MATMUL_THREADS === "1" ? 1 : 2;
}

/** The two-thread matmul, its worker started on first call; null where it cannot run or when `matmulThreads()` is 1. */
export function threadedMatmul(): WasmMatmul | null {
  return matmulThreads() < 2 ? null : (worker()?.matmul ?? null);
}

/** The worker, for fused kernels on the arena; null where it cannot run, when `matmulThreads()` is 1, or without an arena. */
export function kernelHelper(): WorkerHelper | null {
  if (matmulThreads() < 2) return null;
  const r = worker();
  return r === null || !r.onArena ? null : r.helper;
}

/** True if a worker is running (tests). */
export function matmulWorkerRunning(): boolean {
  return running != null;
}

/**
 * Stop the worker and forget it (the next job that wants two threads starts a new one).
 * Not needed before exit: the worker is unref'd. Tests call it so that no worker outlives them.
 */
export async function stopMatmulThreads(): Promise<void> {
  const r = running;
  running = undefined;
  restarts = 0;
  if (r == null) return;
  Atomics.store(r.ctl, SLOT.GEN, STATE.STOPPED);
  Atomics.notify(r.ctl, SLOT.GEN);
  r.port.close();
  await r.worker.terminate();
}

function worker(): Running | null {
  if (running === undefined) running = start();
  return running;
}

/** Drop a dead or hung worker; a later job may start another (MAX_RESTARTS in all). */
function drop(r: Running): void {
  if (running !== r) return;
  workerFaults.deaths++;
  r.port.close();
  void r.worker.terminate();
  running = restarts < MAX_RESTARTS ? undefined : null;
  restarts++;
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
  let w: NodeWorker | undefined;
  try {
    const os = proc.getBuiltinModule("node:os") as OsModule | undefined;
    const cores = os === undefined ? 1 : os.availableParallelism?.() ?? os.cpus().length;
    if (cores < 2) return null;
    const threads = proc.getBuiltinModule("node:worker_threads") as WorkerThreadsModule | undefined;
    if (threads === undefined) return null;

    const bytes = decodeBase64(MATMUL_SHARED_WASM_BASE64);
    if (!WebAssembly.validate(bytes)) return null;
    const module = new WebAssembly.Module(bytes);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 16384, shared: true }); // 1 GiB, simd-matmul.ts's MAX_BYTES
    const { pack, gemm, addRow } = new WebAssembly.Instance(module, { env: { memory } }).exports;
    if (typeof pack !== "function" || typeof gemm !== "function" || typeof addRow !== "function") return null;
    const ctl = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
    const done = new Int32Array(new SharedArrayBuffer(MAX_CHUNKS * 4));
    ctl[SLOT.ALIVE] = 1;
    const { port1, port2 } = new threads.MessageChannel();
    const onArena = arena();
    const faults = { failAtStart: workerFaults.failAtStart, dieAtChunk: workerFaults.dieAtChunk };
    workerFaults.failAtStart = false;
    workerFaults.dieAtChunk = -1;
    w = new threads.Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        matmul: module, matmulMemory: memory, control: ctl.buffer, done: done.buffer, port: port2,
        arena: onArena?.memory ?? null, failAtStart: faults.failAtStart, dieAtChunk: faults.dieAtChunk,
      },
      transferList: [port2],
    });
    w.unref();
    port1.unref();
    const exports: MatmulExports = {
      memory, pack: pack as MatmulExports["pack"], gemm: gemm as MatmulExports["gemm"], addRow: addRow as MatmulExports["addRow"],
    };
    const r: Running = {
      worker: w, ctl, port: port1, onArena: onArena !== null,
      helper: new WorkerHelper(ctl, done, port1, () => drop(r)),
      matmul: null as unknown as WasmMatmul,
    };
    r.matmul = new WasmMatmul(exports, r.helper);
    // Outside a job (the kernels' traps are caught in the worker): stop using it.
    const lost = () => {
      Atomics.store(ctl, SLOT.ALIVE, 0);
      drop(r);
    };
    w.on("error", lost);
    w.on("exit", lost);
    return r;
  } catch {
    if (w !== undefined) void w.terminate();
    return null; // e.g. shared memory refused, or a CSP forbidding wasm compilation
  }
}
