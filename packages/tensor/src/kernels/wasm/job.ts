import { MAX_CHUNKS, MAX_POINTERS, SLOT, STATE } from "./control";

/**
 * Sharing one job between this thread and the worker (threads.ts starts the worker): the job
 * is cut into chunks, which the two threads claim one at a time from a shared counter, so a
 * worker that is slow to wake (or kept off the CPU) never holds this thread up by more than a
 * chunk. Every chunk is marked DONE by whichever thread ran it; when the worker dies or hangs
 * holding chunks, this thread finishes the ones left undone, so a job always completes, with
 * the same bits.
 */

/** A fused kernel as the worker needs it: the compiled module (shared memory) and the export. */
export interface SharedKernel {
  readonly id: number;
  readonly module: WebAssembly.Module;
  readonly name: string;
}

/**
 * What to run: chunk i covers units [i*per, (i+1)*per) (the last one fewer) at addresses
 * pointers[j] + i*steps[j]. `kernel` null is gemm (then n and k are the product's).
 */
export interface Job {
  readonly kernel: SharedKernel | null;
  readonly pointers: readonly number[];
  readonly steps: readonly number[];
  readonly scalars?: number;
  readonly n?: number;
  readonly k?: number;
}

/** This thread's way to run chunk `chunk`, of `units` units. */
export type ChunkFn = (units: number, chunk: number) => void;

/** Polls of FINISHED before this thread sleeps waiting for the worker (longer than a chunk takes). */
const FINISH_SPINS = 1 << 15;

/** How long this thread sleeps per wait for the worker before it looks again (ms). */
const WAIT_SLICE_MS = 5;

/**
 * A worker that has finished no chunk for this long (ms) while still alive is taken as hung:
 * it is dropped and its chunks are done here. (Its own chunks take ~30 us each.)
 */
const STALL_MS = 2000;

/** The worker, seen from this thread: share a job with it. */
export class WorkerHelper {
  private gen = 0;
  private readonly sent = new Set<number>();
  /** Chunks of the last shared job, and how many of them the worker did (tests, tuning). */
  lastChunks = 0;
  lastByWorker = 0;

  /**
   * `port` carries kernels to the worker (null: none can be sent, as in tests that drive a
   * control block with no worker); `onDead` is told when the worker is found dead or hung.
   */
  constructor(
    private readonly ctl: Int32Array,
    private readonly done: Int32Array,
    private readonly port: { postMessage(message: unknown): void } | null = null,
    private readonly onDead: () => void = () => {},
  ) {}

  /**
   * Run `job` over `total` units in chunks of `per` (at most MAX_CHUNKS of them): this thread and the worker claim chunks in turn, `local` runs one here.
   * Returns when every chunk is done: false if one threw on the worker (a bug: the same call
   * would trap here), true otherwise. Chunks the worker claimed but did not finish because it
   * died are done here.
   */
  run(job: Job, total: number, per: number, local: ChunkFn): boolean {
    const { ctl, done } = this;
    const chunks = Math.ceil(total / per);
    if (job.pointers.length > MAX_POINTERS || chunks > MAX_CHUNKS) {
      throw new Error(`minigrad internal error: a job of ${job.pointers.length} arrays in ${chunks} chunks`);
    }
    // Close the last job before rewriting the slots. If the worker is still inside it (it
    // woke late and is about to find no chunk left), it may yet read them: run this job here.
    Atomics.store(ctl, SLOT.GEN, STATE.CLOSED);
    this.lastChunks = chunks;
    this.lastByWorker = 0;
    if (Atomics.load(ctl, SLOT.INSIDE) !== 0 || Atomics.load(ctl, SLOT.ALIVE) === 0 || ctl[SLOT.READY] === STATE.FAILED) {
      for (let i = 0; i < chunks; i++) local(Math.min(per, total - i * per), i);
      if (Atomics.load(ctl, SLOT.ALIVE) === 0 || ctl[SLOT.READY] === STATE.FAILED) this.onDead();
      return true;
    }
    if (job.kernel !== null && !this.sent.has(job.kernel.id)) {
      if (this.port === null) { // no way to give the worker this kernel: run it here
        for (let i = 0; i < chunks; i++) local(Math.min(per, total - i * per), i);
        return true;
      }
      const { id, module, name } = job.kernel;
      this.port.postMessage({ id, module, name });
      this.sent.add(id);
    }
    ctl[SLOT.KIND] = job.kernel === null ? 0 : 1;
    ctl[SLOT.KERNEL] = job.kernel?.id ?? 0;
    ctl[SLOT.TOTAL] = total; ctl[SLOT.PER] = per; ctl[SLOT.CHUNKS] = chunks;
    ctl[SLOT.NEXT] = 0; ctl[SLOT.FINISHED] = 0; ctl[SLOT.FAILED] = 0;
    ctl[SLOT.POINTERS] = job.pointers.length;
    ctl[SLOT.SCALARS] = job.scalars ?? 0; ctl[SLOT.N] = job.n ?? 0; ctl[SLOT.K] = job.k ?? 0;
    for (let j = 0; j < job.pointers.length; j++) {
      ctl[SLOT.ARGS + 2 * j] = job.pointers[j];
      ctl[SLOT.ARGS + 2 * j + 1] = job.steps[j];
    }
    done.fill(0, 0, chunks);
    this.gen = this.gen >= 0x7fffffff ? 1 : this.gen + 1;
    Atomics.store(ctl, SLOT.GEN, this.gen); // publishes the writes above
    Atomics.notify(ctl, SLOT.GEN);
    let mine = 0;
    for (let i = Atomics.add(ctl, SLOT.NEXT, 1); i < chunks; i = Atomics.add(ctl, SLOT.NEXT, 1)) {
      local(Math.min(per, total - i * per), i);
      Atomics.store(done, i, 1);
      Atomics.add(ctl, SLOT.FINISHED, 1);
      mine++;
    }
    this.lastByWorker = chunks - mine;
    if (!this.waitForWorker(chunks)) {
      // The worker died (or hung) holding chunks: finish them here, and drop it.
      Atomics.store(ctl, SLOT.GEN, STATE.CLOSED);
      for (let i = 0; i < chunks; i++) {
        if (Atomics.load(done, i) === 0) {
          local(Math.min(per, total - i * per), i);
          this.lastByWorker--;
        }
      }
      this.onDead();
    }
    return Atomics.load(ctl, SLOT.FAILED) === 0;
  }

  /** Wait until every chunk is done: false if the worker died or hung first. */
  private waitForWorker(chunks: number): boolean {
    const ctl = this.ctl;
    let spins = 0, last = Atomics.load(ctl, SLOT.FINISHED), since = 0;
    while (last < chunks) {
      if (Atomics.load(ctl, SLOT.ALIVE) === 0) return false;
      if (++spins > FINISH_SPINS) {
        if (since === 0) since = performance.now();
        Atomics.wait(ctl, SLOT.FINISHED, last, WAIT_SLICE_MS);
      }
      const now = Atomics.load(ctl, SLOT.FINISHED);
      if (now !== last) {
        last = now;
        since = 0;
      } else if (since !== 0 && performance.now() - since > STALL_MS) {
        return false;
      }
    }
    return true;
  }
}
