import { arena, type Arena } from "./arena";
import { ELEMENTWISE_SHARED_WASM_BASE64 } from "./elementwise-shared-wasm";
import { ELEMENTWISE_WASM_BASE64 } from "./elementwise-wasm";
import { decodeBase64, growTo, instantiateSync } from "./load";
import { kernelHelper, type ChunkFn, type Job } from "./threads";

/**
 * The JS half of the WebAssembly SIMD elementwise kernels (elementwise.wat), in two forms:
 *  - `arenaKernels()`: the module over the arena's memory. Tensors whose storage is in the
 *    arena are computed where they lie; each method returns false (having done nothing) when
 *    an operand is elsewhere, and the caller runs its JS loop.
 *  - `wasmElementwise()`: the module with a memory of its own, for exp, relu and its backward,
 *    softmax and RMSprop on storage outside the arena: copy the input in, run the kernel,
 *    copy the result out. That memory grows to the
 *    largest chunk seen and is reused (it never shrinks).
 */

/** elementwise.wat's exports; addresses are in bytes. */
export interface ElementwiseExports {
  readonly memory: WebAssembly.Memory;
  readonly exp: (src: number, dst: number, count: number) => void;
  readonly tanh: (src: number, dst: number, count: number) => void;
  readonly sigmoid: (src: number, dst: number, count: number) => void;
  readonly relu: (src: number, dst: number, count: number) => void;
  readonly add: BinaryExport;
  readonly sub: BinaryExport;
  readonly mul: BinaryExport;
  readonly div: BinaryExport;
  readonly reluGrad: BinaryExport;
  readonly sum: (at: number, count: number) => number;
  readonly columnSums: (a: number, rows: number, n: number, acc: number) => void;
  readonly softmax: (src: number, dst: number, rows: number, n: number, log: number) => void;
  readonly logSoftmaxGrad: (d: number, y: number, sums: number, rows: number, n: number) => void;
  readonly rmsprop: (p: number, g: number, v: number, n: number, A: number, W: number, EPS: number, NLR: number) => number;
}

type BinaryExport = (a: number, b: number, out: number, count: number) => void;
/** reluGrad(g, y): relu's backward, g the gradient and y relu's output. */
export type BinaryOp = "add" | "sub" | "mul" | "div" | "reluGrad";
export type UnaryOp = "exp" | "tanh" | "sigmoid" | "relu";

/**
 * Rows at least this long are shared with the worker thread (threads.ts), both on the arena
 * at once, in chunks of THREAD_CHUNK floats. Every element is computed by the same kernel
 * either way, so the results are the same bits. The worker joins late when it sleeps (~50 us
 * to wake it), so sharing pays where the work is long:
 *  - exp, tanh, sigmoid and the RMSprop update are compute-bound: from 2^17 floats (1e6: exp 1.9 -> 1.0 ms,
 *    RMSprop 0.82 -> 0.45 ms);
 *  - add/sub/mul/div and relu are memory-bound (1e6: 0.1 ms in cache, 0.3-0.4 ms from DRAM,
 *    where one core already takes most of this machine's bandwidth): from 2^21 floats only.
 */
const SPLIT_COMPUTE_BOUND = 1 << 17;
const SPLIT_MEMORY_BOUND = 1 << 21;

/** Floats per chunk of a shared row (128 KB per operand). */
const THREAD_CHUNK = 1 << 15;

/** The kernels on the arena's memory: each works in place on tensors' storage there. */
export class ArenaKernels {
  /** Each kernel as a chunk of a shared job (threads.ts's ChunkFn), made once. */
  private readonly chunkFns = new Map<Job, ChunkFn>();

  constructor(private readonly arena: Arena, private readonly wasm: ElementwiseExports) {
    for (const op of ["add", "sub", "mul", "div", "reluGrad"] as const) {
      const f = wasm[op];
      this.chunkFns.set(op, (units, a, b, out) => f(a, b, out, units));
    }
    for (const op of ["exp", "tanh", "sigmoid", "relu"] as const) {
      const f = wasm[op];
      this.chunkFns.set(op, (units, a, out) => f(a, out, units));
    }
  }

  /** out[io ..+ n] = a[ia ..+ n] op b[ib ..+ n], if all three are float32 in the arena. */
  binary(op: BinaryOp, out: ArrayBufferView, io: number, a: ArrayBufferView, ia: number, b: ArrayBufferView, ib: number, n: number): boolean {
    if (!this.holdsF32(out) || !this.holdsF32(a) || !this.holdsF32(b)) return false;
    const A = a.byteOffset + 4 * ia, B = b.byteOffset + 4 * ib, O = out.byteOffset + 4 * io;
    const helper = n >= SPLIT_MEMORY_BOUND ? kernelHelper() : null;
    if (helper === null) {
      this.wasm[op](A, B, O, n);
      return true;
    }
    const step = 4 * THREAD_CHUNK;
    shared(op, helper.run(op, n, THREAD_CHUNK, A, step, B, step, O, step, this.chunkFns.get(op)!));
    return true;
  }

  /** out[io ..+ n] = op(a[ia ..+ n]), if both are float32 in the arena. */
  unary(op: UnaryOp, out: ArrayBufferView, io: number, a: ArrayBufferView, ia: number, n: number): boolean {
    if (!this.holdsF32(out) || !this.holdsF32(a)) return false;
    const A = a.byteOffset + 4 * ia, O = out.byteOffset + 4 * io;
    const helper = n >= (op === "relu" ? SPLIT_MEMORY_BOUND : SPLIT_COMPUTE_BOUND) ? kernelHelper() : null;
    if (helper === null) {
      this.wasm[op](A, O, n);
      return true;
    }
    const step = 4 * THREAD_CHUNK;
    shared(op, helper.run(op, n, THREAD_CHUNK, A, step, O, step, 0, 0, this.chunkFns.get(op)!));
    return true;
  }

  /**
   * One default-options RMSprop step over n float32 parameters (elementwise.wat's `rmsprop`,
   * bit-identical to PyTorch), if param, grad and squareAvg are all in the arena. The
   * constants are float32 values: A = alpha, W = 1 - alpha, EPS = eps, NLR = -lr.
   */
  rmsprop(
    p: ArrayBufferView, pi: number, g: ArrayBufferView, gi: number, v: ArrayBufferView, vi: number, n: number,
    A: number, W: number, EPS: number, NLR: number,
  ): boolean {
    if (!this.holdsF32(p) || !this.holdsF32(g) || !this.holdsF32(v)) return false;
    const P = p.byteOffset + 4 * pi, G = g.byteOffset + 4 * gi, V = v.byteOffset + 4 * vi;
    const helper = n >= SPLIT_COMPUTE_BOUND ? kernelHelper() : null;
    if (helper === null) {
      this.wasm.rmsprop(P, G, V, n, A, W, EPS, NLR);
      return true;
    }
    const step = 4 * THREAD_CHUNK, rmsprop = this.wasm.rmsprop;
    helper.setFloats(A, W, EPS, NLR);
    shared("rmsprop", helper.run("rmsprop", n, THREAD_CHUNK, P, step, G, step, V, step, (units, p, g, v) => {
      rmsprop(p, g, v, units, A, W, EPS, NLR);
    }));
    return true;
  }

  /**
   * Softmax (or log-softmax) of `rows` contiguous float32 rows of n at x[ix ..] into out[io ..]
   * (elementwise.wat's `softmax`), if both are in the arena.
   */
  softmax(out: ArrayBufferView, io: number, x: ArrayBufferView, ix: number, rows: number, n: number, log: boolean): boolean {
    if (!this.holdsF32(out) || !this.holdsF32(x)) return false;
    this.wasm.softmax(x.byteOffset + 4 * ix, out.byteOffset + 4 * io, rows, n, log ? 1 : 0);
    return true;
  }

  /** The float64 sum of a[ia ..+ n], bit for bit as reduce.ts's sumRow; null unless a is float32 in the arena. */
  sum(a: ArrayBufferView, ia: number, n: number): number | null {
    return this.holdsF32(a) ? this.wasm.sum(a.byteOffset + 4 * ia, n) : null;
  }

  private holdsF32(x: ArrayBufferView): boolean {
    return x instanceof Float32Array && this.arena.holds(x);
  }
}

/**
 * Check a shared job's outcome. It can only fail where the kernel traps (the worker runs the
 * same module on the same memory, so this thread would have trapped too): a bug, reported as
 * one. The failed chunks are not redone here, since an in-place kernel may have written part
 * of them.
 */
function shared(job: Job, ok: boolean): void {
  if (!ok) throw new Error(`minigrad internal error: the ${job} kernel failed on the worker thread`);
}

/**
 * Rows shorter than this stay on the JS loop: below it the call and the copies in and out
 * cost about what the kernel saves. Measured (Node 20, x64; ns per element, JS loop vs wasm
 * including the copies): 64: 3.8 vs 3.3, 128: 3.6 vs 2.4, 256: 3.5 vs 2.2, 4096: 3.5 vs 1.7.
 */
export const WASM_MIN_ELEMENTS = 128;

/**
 * Longer rows are done in chunks of this many floats (256 KB), so that each chunk's copy in,
 * kernel and copy out stay in cache (1e6 floats: ~1.85 ms this way, ~2.0 ms in one piece).
 */
const CHUNK_FLOATS = 1 << 16;

/** RMSprop's copy path works in chunks of this many floats per array (3 x 64 KB: in cache). */
const RMSPROP_CHUNK_FLOATS = 1 << 14;

export class WasmElementwise {
  private heap: Float32Array;

  constructor(private readonly wasm: ElementwiseExports) {
    this.heap = new Float32Array(wasm.memory.buffer);
  }

  /**
   * out[io ..+ n] = op(a[ia ..+ n]) in float32 (exp: within 2 ulp of the correctly rounded
   * result; tanh, sigmoid: within 1; relu exact), through copies in chunks of CHUNK_FLOATS.
   * Returns false (having written nothing) if the memory could not be grown. (exp and relu
   * are used this way; for tanh and sigmoid the copies cost what the kernel saves over the
   * JS loop, and tests use it to check the kernels on any values.)
   */
  unary(op: "exp" | "tanh" | "sigmoid" | "relu", out: Float32Array, io: number, a: Float32Array, ia: number, n: number): boolean {
    const chunk = Math.min(n, CHUNK_FLOATS);
    if (!this.reserve(4 * chunk)) return false;
    const heap = this.heap, run = this.wasm[op];
    for (let done = 0; done < n; done += chunk) {
      const len = Math.min(chunk, n - done);
      heap.set(a.subarray(ia + done, ia + done + len), 0);
      run(0, 0, len);
      out.set(heap.subarray(0, len), io + done);
    }
    return true;
  }

  /** out[io ..+ n] = a[ia ..+ n] op b[ib ..+ n] in float32, through copies (as `unary`). */
  binary(op: BinaryOp, out: Float32Array, io: number, a: Float32Array, ia: number, b: Float32Array, ib: number, n: number): boolean {
    const chunk = Math.min(n, CHUNK_FLOATS);
    if (!this.reserve(2 * 4 * chunk)) return false;
    const heap = this.heap, run = this.wasm[op];
    for (let done = 0; done < n; done += chunk) {
      const len = Math.min(chunk, n - done);
      heap.set(a.subarray(ia + done, ia + done + len), 0);
      heap.set(b.subarray(ib + done, ib + done + len), chunk);
      run(0, 4 * chunk, 0, len);
      out.set(heap.subarray(0, len), io + done);
    }
    return true;
  }

  /**
   * acc[j] += sum_i a[ia + i*n + j] over `rows` contiguous rows of n float32, in float64 row
   * after row (elementwise.wat's `columnSums`: reduce.ts's additions in its order), through
   * copies: acc in, then the rows in chunks of about CHUNK_FLOATS, then acc out.
   */
  columnSums(acc: Float64Array, a: Float32Array, ia: number, rows: number, n: number): boolean {
    const chunkRows = Math.max(1, Math.min(rows, Math.floor(CHUNK_FLOATS / n)));
    const accAt = (4 * chunkRows * n + 15) & ~15; // bytes, 16-byte aligned
    if (!this.reserve(accAt + 8 * n)) return false;
    const slots = new Float64Array(this.wasm.memory.buffer, accAt, n);
    slots.set(acc.subarray(0, n));
    const heap = this.heap, run = this.wasm.columnSums;
    for (let done = 0; done < rows; done += chunkRows) {
      const count = Math.min(chunkRows, rows - done), at = ia + done * n;
      heap.set(a.subarray(at, at + count * n), 0);
      run(0, count, n, accAt);
    }
    acc.set(slots);
    return true;
  }

  /**
   * ArenaKernels.softmax for storage outside the arena: whole rows are copied in, in chunks of
   * about CHUNK_FLOATS, and the results copied out.
   */
  softmax(out: Float32Array, io: number, x: Float32Array, ix: number, rows: number, n: number, log: boolean): boolean {
    const chunkRows = Math.max(1, Math.min(rows, Math.floor(CHUNK_FLOATS / n)));
    if (!this.reserve(4 * chunkRows * n)) return false;
    const heap = this.heap, run = this.wasm.softmax;
    for (let done = 0; done < rows; done += chunkRows) {
      const len = Math.min(chunkRows, rows - done) * n;
      heap.set(x.subarray(ix + done * n, ix + done * n + len), 0);
      run(0, 0, len / n, n, log ? 1 : 0);
      out.set(heap.subarray(0, len), io + done * n);
    }
    return true;
  }

  /**
   * Log-softmax's backward over `rows` contiguous rows of n, in place on d:
   * d_j = d_j - fl(fl(exp(y_j)) * sums[row]), y the log-softmax output (elementwise.wat's
   * `logSoftmaxGrad`), through copies in chunks of whole rows.
   */
  logSoftmaxGrad(d: Float32Array, y: Float32Array, sums: Float32Array, rows: number, n: number): boolean {
    const chunkRows = Math.max(1, Math.min(rows, Math.floor(CHUNK_FLOATS / n)));
    const chunk = chunkRows * n;
    if (!this.reserve(4 * (2 * chunk + chunkRows))) return false;
    const heap = this.heap, run = this.wasm.logSoftmaxGrad;
    for (let done = 0; done < rows; done += chunkRows) {
      const count = Math.min(chunkRows, rows - done), len = count * n, at = done * n;
      heap.set(d.subarray(at, at + len), 0);
      heap.set(y.subarray(at, at + len), chunk);
      heap.set(sums.subarray(done, done + count), 2 * chunk);
      run(0, 4 * chunk, 8 * chunk, count, n);
      d.set(heap.subarray(0, len), at);
    }
    return true;
  }

  /**
   * ArenaKernels.rmsprop for storage outside the arena: chunks of param, grad and squareAvg
   * are copied in, updated, and param and squareAvg copied back (the same bits as in place).
   */
  rmsprop(
    P: Float32Array, pi: number, G: Float32Array, gi: number, V: Float32Array, vi: number, n: number,
    A: number, W: number, EPS: number, NLR: number,
  ): boolean {
    const chunk = Math.min(n, RMSPROP_CHUNK_FLOATS);
    if (!this.reserve(3 * 4 * chunk)) return false;
    const heap = this.heap, run = this.wasm.rmsprop;
    for (let done = 0; done < n; done += chunk) {
      const len = Math.min(chunk, n - done);
      heap.set(P.subarray(pi + done, pi + done + len), 0);
      heap.set(G.subarray(gi + done, gi + done + len), chunk);
      heap.set(V.subarray(vi + done, vi + done + len), 2 * chunk);
      run(0, 4 * chunk, 8 * chunk, len, A, W, EPS, NLR);
      P.set(heap.subarray(0, len), pi + done);
      V.set(heap.subarray(2 * chunk, 2 * chunk + len), vi + done);
    }
    return true;
  }

  /** Size of the module's memory: the largest span so far (it never shrinks). */
  get memoryBytes(): number {
    return this.wasm.memory.buffer.byteLength;
  }

  private reserve(bytes: number): boolean {
    const { memory } = this.wasm;
    if (!growTo(memory, bytes)) return false;
    if (this.heap.buffer !== memory.buffer) this.heap = new Float32Array(memory.buffer); // detached by the growth
    return true;
  }
}

let instance: WasmElementwise | null | undefined; // undefined until first asked for
let onArena: ArenaKernels | null | undefined;

/** The kernels over the arena, made on first use; null where there is no arena or no SIMD128. */
export function arenaKernels(): ArenaKernels | null {
  if (onArena === undefined) {
    const a = arena();
    const exports = a === null ? null : instantiateSync(decodeBase64(ELEMENTWISE_SHARED_WASM_BASE64), { env: { memory: a.memory } });
    onArena = a === null || exports === null || !hasKernels(exports) ? null : new ArenaKernels(a, exports);
  }
  return onArena;
}

/**
 * One default-options float32 RMSprop step in WebAssembly SIMD (elementwise.wat's `rmsprop`,
 * bit-identical to PyTorch): in place where param, grad and squareAvg are in the arena, else
 * through copies for rows of at least WASM_MIN_ELEMENTS. False when neither applies (the
 * caller then runs its JS loop). A = alpha, W = 1 - alpha, EPS = eps, NLR = -lr, as float32.
 */
export function simdRmspropF32(
  P: Float32Array, pi: number, G: Float32Array, gi: number, V: Float32Array, vi: number, n: number,
  A: number, W: number, EPS: number, NLR: number,
): boolean {
  if (arenaKernels()?.rmsprop(P, pi, G, gi, V, vi, n, A, W, EPS, NLR)) return true;
  return n >= WASM_MIN_ELEMENTS && (wasmElementwise()?.rmsprop(P, pi, G, gi, V, vi, n, A, W, EPS, NLR) ?? false);
}

const KERNELS = ["exp", "tanh", "sigmoid", "relu", "add", "sub", "mul", "div", "reluGrad", "sum", "columnSums", "softmax", "logSoftmaxGrad", "rmsprop"] as const;

function hasKernels(exports: WebAssembly.Exports): exports is WebAssembly.Exports & ElementwiseExports {
  return exports.memory instanceof WebAssembly.Memory && KERNELS.every((name) => typeof exports[name] === "function");
}

/**
 * The wasm kernels, made on first use; null where WebAssembly or SIMD128 is unavailable
 * (the caller then uses its JS loop).
 */
export function wasmElementwise(): WasmElementwise | null {
  if (instance === undefined) instance = instantiate(decodeBase64(ELEMENTWISE_WASM_BASE64));
  return instance;
}

/** Exported for tests: null for bytes the engine cannot run. */
export function instantiate(bytes: Uint8Array<ArrayBuffer>): WasmElementwise | null {
  const exports = instantiateSync(bytes);
  return exports === null || !hasKernels(exports) ? null : new WasmElementwise(exports);
}
