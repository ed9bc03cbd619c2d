/**
 * The control block this thread and the worker share (threads.ts, worker-source.ts): Int32
 * slots in a SharedArrayBuffer, written with Atomics, plus one DONE flag per chunk of the
 * current job (so that the chunks a dead worker left can be found and finished here).
 */
export const SLOT = {
  GEN: 0, // the current job's number (1, 2, ...); CLOSED while the next one is written; STOPPED
  INSIDE: 1, // 1 while the worker is inside a job (between its check of GEN and its last claim)
  READY: 2, // STARTING, then READY once it waits for work, or FAILED if it could not start
  ALIVE: 3, // 1 until the worker's exit event (set by the worker itself as it ends)
  KIND: 4, // 0: gemm (matmul.wat), 1: a fused kernel on the arena
  KERNEL: 5, // the fused kernel's id (fused.ts)
  TOTAL: 6, // units of work: rows of C, or elements
  PER: 7, // units per chunk
  CHUNKS: 8, // ceil(TOTAL / PER)
  NEXT: 9, // the next chunk to claim (either thread: Atomics.add)
  FINISHED: 10, // chunks done
  FAILED: 11, // 1 if a chunk threw on the worker
  POINTERS: 12, // how many address/step pairs follow in ARGS
  SCALARS: 13, // address of the fused kernel's scalar block
  N: 14, // gemm's n
  K: 15, // gemm's k
  ARGS: 16, // addresses with their per-chunk steps: a0 s0 a1 s1 ...
} as const;

/** Address/step pairs in ARGS: the most arrays a fused kernel may take. */
export const MAX_POINTERS = 8;

export const CONTROL_SLOTS = SLOT.ARGS + 2 * MAX_POINTERS;

/** DONE flags: a job has at most this many chunks (the caller makes chunks larger if need be). */
export const MAX_CHUNKS = 4096;

export const STATE = {
  /** values of GEN besides job numbers */
  CLOSED: -1,
  STOPPED: -2,
  /** values of READY */
  STARTING: 0,
  READY: 1,
  FAILED: -1,
  /**
   * After a job the worker polls for the next one this long (ms) before it sleeps in
   * Atomics.wait: consecutive jobs (a training step) find it awake. The cost is up to this
   * much idle CPU after each.
   */
  SPIN_MS: 0.5,
} as const;
