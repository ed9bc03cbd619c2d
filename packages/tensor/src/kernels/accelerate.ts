import type { FloatArray, TypedArray } from "../dtype";
import * as k from "./elementwise";
import { ARITHMETIC_ELEMENTWISE, ARITHMETIC_WASM_BASE64 } from "./wasm/arithmetic-wasm";
import { EXP_ELEMENTWISE, EXP_WASM_BASE64 } from "./wasm/exp-wasm";
import { SOFTMAX_WASM_BASE64 } from "./wasm/softmax-wasm";
import { fusedKernel, type FusedKernel } from "./wasm/fused";
import { WasmModule } from "./wasm/module";

/**
 * The acceleration policy: which elementwise kernels also run in WebAssembly SIMD
 * (wasm/exp.wat, wasm/arithmetic.wat; softmax.wat's rows below) and from which sizes, in one
 * table (MODULES). The loops in elementwise.ts define the semantics; each accelerated row
 * (`fast.exp` for `k.exp`) has their signature, takes the wasm kernel for
 * unit-stride float32 runs of at least `min` elements (in place on the arena, else through
 * copies: wasm/fused.ts), and otherwise runs the loop. Either way the same values: add, sub,
 * mul, div, relu and reluGrad give the same bits as the loops; exp is within 2 ulp of the
 * correctly rounded result, tanh and sigmoid within 1 (fast-float32.ts and the tests say how).
 */
export const EXP = new WasmModule("exp.wat", EXP_WASM_BASE64);
export const ARITHMETIC = new WasmModule("arithmetic.wat", ARITHMETIC_WASM_BASE64);
export const SOFTMAX = new WasmModule("softmax.wat", SOFTMAX_WASM_BASE64);

/**
 * Runs at least this long are shared with the worker thread (wasm/threads.ts): from 2^17
 * elements where the kernel is compute-bound (1e6 exp: 1.9 -> 1.0 ms), from 2^21 where it
 * streams at the memory's speed (1e6 add: 0.1 ms in cache, 0.3-0.4 ms from DRAM, and one core
 * already takes most of this machine's bandwidth).
 */
const COMPUTE_BOUND = 1 << 17;
const MEMORY_BOUND = 1 << 21;

/**
 * Below 128 elements the call costs about what the kernel saves. Measured (Node 20, x64; ns
 * per element, JS loop vs wasm through copies): 64: 3.8 vs 3.3, 128: 3.6 vs 2.4, 4096: 3.5 vs 1.7.
 */
export const WASM_MIN_ELEMENTS = 128;

/**
 * The policy of each kernel module: the elementwise kernels it exports (read from its .wat by
 * the build: `(src, dst, count)` or `(a, b, out, count)`, see scripts/wat.ts), which loop of
 * elementwise.ts each one accelerates (the loop of the same name: the compiler checks there is
 * one, of the right arity), the shortest run it takes, and from which length it is shared with
 * the worker thread. A new kernel in exp.wat or arithmetic.wat gets its row here by itself.
 */
const MODULES = [
  { module: EXP, kernels: EXP_ELEMENTWISE, min: WASM_MIN_ELEMENTS, threads: COMPUTE_BOUND },
  { module: ARITHMETIC, kernels: ARITHMETIC_ELEMENTWISE, min: WASM_MIN_ELEMENTS, threads: MEMORY_BOUND },
] as const;

type Exported = typeof EXP_ELEMENTWISE & typeof ARITHMETIC_ELEMENTWISE;
export type ElementwiseKernel = keyof Exported;
/** The loops the kernels accelerate, by their exports' names and arities. */
type Loops = { readonly [K in ElementwiseKernel]: Exported[K] extends 1 ? k.UnaryRow : k.BinaryRow };
const LOOPS: Loops = k;

/** A kernel's policy (a row of MODULES, for one kernel). */
interface Policy {
  readonly module: WasmModule;
  readonly min: number;
  readonly threads: number;
  readonly inputs: 1 | 2;
}

/** Every elementwise kernel with a wasm fast path, by its export. */
export const POLICY = {} as Record<ElementwiseKernel, Policy>;
for (const { module, kernels, min, threads } of MODULES) {
  for (const [name, inputs] of Object.entries(kernels)) POLICY[name as ElementwiseKernel] = { module, min, threads, inputs };
}

/**
 * The fused kernel of an elementwise export, with the arrays as it takes them: (src, dst)
 * for unary ops, (a, b, out) for binary ones. Tests make them on other modules and sizes.
 */
export function elementwiseKernel(name: ElementwiseKernel, module: WasmModule = POLICY[name].module, minElements: number = POLICY[name].min): FusedKernel {
  const p = POLICY[name];
  const common = { module, name, dtype: "float32", minElements, threadsFrom: p.threads } as const;
  if (p.inputs === 1) {
    const loop = LOOPS[name] as k.UnaryRow;
    return fusedKernel({ ...common, arrays: 2, reads: [0], writes: [1], reference: (x, o, n) => loop(x[1], o[1], 1, x[0], o[0], 1, n) });
  }
  const loop = LOOPS[name] as k.BinaryRow;
  return fusedKernel({
    ...common, arrays: 3, reads: [0, 1], writes: [2], reference: (x, o, n) => loop(x[2], o[2], 1, x[0], o[0], 1, x[1], o[1], 1, n),
  });
}

/** Stands in for an array between calls: the rows hold no tensor's storage. */
const EMPTY = new Float32Array(0);

/** The accelerated row of a unary kernel: wasm for unit-stride float32 runs, else the loop. */
function unary(name: ElementwiseKernel, loop: k.UnaryRow): k.UnaryRow {
  const { min } = POLICY[name];
  const kernel = elementwiseKernel(name);
  const arrays: FloatArray[] = [EMPTY, EMPTY], offsets = [0, 0];
  return (out, io, so, a, ia, sa, n) => {
    if (n >= min && so === 1 && sa === 1 && out instanceof Float32Array && a instanceof Float32Array) {
      arrays[0] = a; arrays[1] = out; offsets[0] = ia; offsets[1] = io;
      const done = kernel.tryWasm(arrays, offsets, n);
      arrays[0] = arrays[1] = EMPTY; // hold no storage: the collector must be free to take it
      if (done) return;
    }
    loop(out, io, so, a, ia, sa, n);
  };
}

/** The accelerated row of a binary kernel. */
function binary(name: ElementwiseKernel, loop: k.BinaryRow): k.BinaryRow {
  const { min } = POLICY[name];
  const kernel = elementwiseKernel(name);
  const arrays: FloatArray[] = [EMPTY, EMPTY, EMPTY], offsets = [0, 0, 0];
  return (out, io, so, a, ia, sa, b, ib, sb, n) => {
    if (n >= min && so === 1 && sa === 1 && sb === 1 && out instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array) {
      arrays[0] = a; arrays[1] = b; arrays[2] = out; offsets[0] = ia; offsets[1] = ib; offsets[2] = io;
      const done = kernel.tryWasm(arrays, offsets, n);
      arrays[0] = arrays[1] = arrays[2] = EMPTY;
      if (done) return;
    }
    loop(out, io, so, a, ia, sa, b, ib, sb, n);
  };
}

/**
 * The accelerated rows, with the loops' signatures and names: what the ops call
 * (`fast.exp` for `k.exp`; `fast.reluGrad` is relu's backward, reluGrad(g, y) with y relu's output).
 */
export const fast = {} as Loops;
for (const name of Object.keys(POLICY) as ElementwiseKernel[]) {
  const row = POLICY[name].inputs === 1 ? unary(name, LOOPS[name] as k.UnaryRow) : binary(name, LOOPS[name] as k.BinaryRow);
  (fast as Record<ElementwiseKernel, k.UnaryRow | k.BinaryRow>)[name] = row;
}

// ---------------------------------------------------------------- row kernels of their own shape

type Fn = (...args: number[]) => number;

/** Staged rows go through in batches of about this many floats (256 KB: in cache). */
const BATCH_FLOATS = 1 << 16;

/**
 * The float64 sum of a[ia ..+ n] (arithmetic.wat's `sum`), bit for bit as reduce.ts's loop;
 * null unless a is float32 in the arena (through copies it would gain nothing).
 */
export function sumOnArena(a: TypedArray, ia: number, n: number): number | null {
  if (!(a instanceof Float32Array)) return null;
  const m = ARITHMETIC.get();
  return m !== null && m.holds(a) ? (m.exports.sum as Fn)(a.byteOffset + 4 * ia, n) : null;
}

/**
 * acc[j] += sum_i a[ia + i*n + j] over `rows` contiguous rows of n float32, in float64 row after
 * row (arithmetic.wat's `columnSums`: reduce.ts's additions in its order). False if wasm
 * cannot run it; then nothing was written.
 */
export function columnSums(acc: Float64Array, a: Float32Array, ia: number, rows: number, n: number, module = ARITHMETIC): boolean {
  const m = module.get();
  if (m === null) return false;
  const direct = m.holds(a);
  const chunkRows = direct ? rows : Math.max(1, Math.min(rows, Math.floor(BATCH_FLOATS / n)));
  const rowsFrom = (8 * n + 15) & ~15;
  const at = m.scratch.reserve(rowsFrom + (direct ? 0 : 4 * chunkRows * n));
  if (at < 0) return false;
  const slots = new Float64Array(m.scratch.buffer, at, n);
  slots.set(acc.subarray(0, n));
  const heap = new Float32Array(m.scratch.buffer), run = m.exports.columnSums as Fn;
  for (let done = 0; done < rows; done += chunkRows) {
    const count = Math.min(chunkRows, rows - done), first = ia + done * n;
    if (direct) {
      run(a.byteOffset + 4 * first, count, n, at);
    } else {
      heap.set(a.subarray(first, first + count * n), (at + rowsFrom) / 4);
      run(at + rowsFrom, count, n, at);
    }
  }
  acc.set(slots);
  return true;
}

/**
 * Softmax (or log-softmax) of `rows` contiguous float32 rows of n at x into out
 * (softmax.wat's `softmax`): in place on the arena, else through copies of whole rows.
 */
export function softmaxRows(out: Float32Array, x: Float32Array, rows: number, n: number, log: boolean, module = SOFTMAX): boolean {
  const m = module.get();
  if (m === null) return false;
  const run = m.exports.softmax as Fn;
  if (m.holds(out) && m.holds(x)) {
    run(x.byteOffset, out.byteOffset, rows, n, log ? 1 : 0);
    return true;
  }
  const chunkRows = Math.max(1, Math.min(rows, Math.floor(BATCH_FLOATS / n)));
  const at = m.scratch.reserve(4 * chunkRows * n);
  if (at < 0) return false;
  const heap = new Float32Array(m.scratch.buffer), slot = at / 4;
  for (let done = 0; done < rows; done += chunkRows) {
    const len = Math.min(chunkRows, rows - done) * n;
    heap.set(x.subarray(done * n, done * n + len), slot);
    run(at, at, len / n, n, log ? 1 : 0);
    out.set(heap.subarray(slot, slot + len), done * n);
  }
  return true;
}

/**
 * Log-softmax's backward over `rows` contiguous rows of n, in place on d:
 * d_j = d_j - fl(fl(exp(y_j)) * sums[row]), y the log-softmax output (softmax.wat's
 * `logSoftmaxGrad`), through copies in batches of whole rows.
 */
export function logSoftmaxGradRows(d: Float32Array, y: Float32Array, sums: Float32Array, rows: number, n: number, module = SOFTMAX): boolean {
  const m = module.get();
  if (m === null) return false;
  const chunkRows = Math.max(1, Math.min(rows, Math.floor(BATCH_FLOATS / n)));
  const chunk = chunkRows * n;
  const at = m.scratch.reserve(4 * (2 * chunk + chunkRows));
  if (at < 0) return false;
  const heap = new Float32Array(m.scratch.buffer), run = m.exports.logSoftmaxGrad as Fn, slot = at / 4;
  for (let done = 0; done < rows; done += chunkRows) {
    const count = Math.min(chunkRows, rows - done), len = count * n, first = done * n;
    heap.set(d.subarray(first, first + len), slot);
    heap.set(y.subarray(first, first + len), slot + chunk);
    heap.set(sums.subarray(done, done + count), slot + 2 * chunk);
    run(at, at + 4 * chunk, at + 8 * chunk, count, n);
    d.set(heap.subarray(slot, slot + len), first);
  }
  return true;
}
