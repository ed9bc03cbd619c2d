import type { Matrix, Vector } from "../matmul";
import { MATMUL_WASM_BASE64 } from "./matmul-wasm";
import { decodeBase64, growTo, instantiateSync } from "./load";
import type { WorkerHelper } from "./job";
import { MAX_CHUNKS } from "./control";

/**
 * The JS half of the WebAssembly SIMD matmul (the kernel is matmul.wat, read that first).
 * Per call: copy both operands into the module's memory, `pack` them into panels, `gemm`,
 * copy C out. The memory grows to the largest product seen and is reused (it never shrinks),
 * so a training loop grows nothing after its first step.
 */

/** matmul.wat's exports; addresses and strides are in bytes. */
export interface MatmulExports {
  readonly memory: WebAssembly.Memory;
  readonly pack: (src: number, lineStride: number, step: number, lines: number, depth: number, width: number, dst: number) => void;
  readonly gemm: (m: number, n: number, k: number, ap: number, bp: number, c: number) => void;
  readonly addRow: (c: number, m: number, n: number, v: number) => void;
}

/**
 * Another thread that can run `gemm` on the same (shared) memory: kernels/wasm/threads.ts's
 * WorkerHelper. `run` shares a job's chunks with it (see there); false if a chunk failed on
 * the other thread (nothing it wrote is relied on then: the caller redoes the product).
 */
export type GemmHelper = Pick<WorkerHelper, "run">;

/** Products with fewer rows than this are not split between threads. */
const SPLIT_MIN_ROWS = 8;

/**
 * A shared product is cut into chunks of whole A panels of about this many multiply-adds
 * (~30 us each), so the two threads can balance: 64x784x256 in 8 chunks of 8 rows, 512^3 in
 * 128 of 4. Each chunk reads all of packed B again, from L2: ~1 byte per multiply-add, well
 * within what L2 delivers.
 */
const CHUNK_MULADDS = 2 ** 20;

/** The micro-kernel's tile in matmul.wat: A is packed in panels of 4 rows, B of 8 columns. */
const A_PANEL = 4;
const B_PANEL = 8;

/**
 * Largest working set (bytes) handed to wasm. The kernel's i32 address arithmetic stays far
 * from overflow below this; bigger products fall back to the TS kernel.
 */
const MAX_BYTES = 2 ** 30;

/** An operand as copied into the heap: element (i, j) at `offset + i*rowStride + j*colStride`. */
interface Staged {
  offset: number;
  rowStride: number;
  colStride: number;
}

export class WasmMatmul {
  private heap: Float32Array;
  private readonly stagedA: Staged = { offset: 0, rowStride: 0, colStride: 0 };
  private readonly stagedB: Staged = { offset: 0, rowStride: 0, colStride: 0 };

  /**
   * `helper`, given only for a module over shared memory, shares every product's rows of C
   * with another thread.
   */
  constructor(private readonly wasm: MatmulExports, private readonly helper: GemmHelper | null = null) {
    this.heap = new Float32Array(wasm.memory.buffer);
  }

  /**
   * out[outOffset ..+ m*n] = a @ b (+ bias, a row of n added to every row), row-major; a is
   * m x k, b is k x n, any strides. Returns false (having written nothing) when the product
   * is empty or too large for wasm memory.
   */
  matmul(
    out: Float32Array, outOffset: number, a: Matrix, b: Matrix, m: number, k: number, n: number,
    bias: Vector | null = null,
  ): boolean {
    if (m < 1 || k < 1 || n < 1) return false; // the wasm loops run at least once
    const mPad = roundUp(m, A_PANEL), nPad = roundUp(n, B_PANEL);
    // Heap layout, in floats, each region 16-byte aligned: A and B as copied, A and B packed,
    // the bias row, C.
    const aAt = 0;
    const bAt = aAt + roundUp(stagedSize(a, m, k), 4);
    const apAt = bAt + roundUp(stagedSize(b, k, n), 4);
    const bpAt = apAt + mPad * k;
    const biasAt = bpAt + nPad * k;
    const cAt = biasAt + (bias === null ? 0 : nPad);
    const end = cAt + mPad * nPad;
    if (!this.reserve(4 * end)) return false;

    const A = stage(this.heap, a, m, k, aAt, this.stagedA);
    const B = stage(this.heap, b, k, n, bAt, this.stagedB);
    if (bias !== null) stageRow(this.heap, bias, n, biasAt);
    const { pack, gemm, addRow } = this.wasm;
    // A: lines are rows (k floats each); B: lines are columns.
    pack(4 * A.offset, 4 * A.rowStride, 4 * A.colStride, m, k, A_PANEL, 4 * apAt);
    pack(4 * B.offset, 4 * B.colStride, 4 * B.rowStride, n, k, B_PANEL, 4 * bpAt);
    const helper = this.helper;
    if (helper === null || m < SPLIT_MIN_ROWS) {
      gemm(m, n, k, 4 * apAt, 4 * bpAt, 4 * cAt);
      if (bias !== null) addRow(4 * cAt, m, n, 4 * biasAt);
      out.set(this.heap.subarray(cAt, cAt + m * n), outOffset);
      return true;
    }
    // Chunks of `rows` rows (whole A panels), each with its own region of C: chunk i's rows
    // start i*rows padded rows in. Every element of C is computed by the same tile calls in the
    // same k order as unsplit, so the result is bit for bit the same.
    const rows = roundUp(Math.max(1, Math.ceil(CHUNK_MULADDS / (k * n)), Math.ceil(m / MAX_CHUNKS)), A_PANEL);
    const ap = 4 * apAt, bp = 4 * bpAt, c = 4 * cAt, apStep = 4 * rows * k, cStep = 4 * rows * nPad;
    const job = { kernel: null, pointers: [ap, bp, c], steps: [apStep, 0, cStep], n, k };
    const shared = helper.run(job, m, rows, (units, i) => gemm(units, n, k, ap + i * apStep, bp, c + i * cStep));
    if (!shared) {
      gemm(m, n, k, 4 * apAt, 4 * bpAt, 4 * cAt);
    } else if (nPad !== n) {
      // each chunk closed its own gaps; bring the chunks together (moving down: copyWithin is safe)
      for (let r = rows; r < m; r += rows) this.heap.copyWithin(cAt + r * n, cAt + r * nPad, cAt + r * nPad + Math.min(rows, m - r) * n);
    }
    if (bias !== null) addRow(4 * cAt, m, n, 4 * biasAt);
    out.set(this.heap.subarray(cAt, cAt + m * n), outOffset);
    return true;
  }

  /** Size of the module's memory: the largest working set so far (it never shrinks). */
  get memoryBytes(): number {
    return this.wasm.memory.buffer.byteLength;
  }

  /** Grow the memory to at least `bytes`; false if that is over the limit or refused. */
  private reserve(bytes: number): boolean {
    const { memory } = this.wasm;
    if (bytes > MAX_BYTES || !growTo(memory, bytes)) return false;
    if (this.heap.buffer !== memory.buffer) this.heap = new Float32Array(memory.buffer); // detached by the growth
    return true;
  }
}

/** The range [lo, hi) of `x.data` that a rows x cols operand touches. */
function spanOf(x: Matrix, rows: number, cols: number): { lo: number; hi: number } {
  const r = (rows - 1) * x.rowStride, c = (cols - 1) * x.colStride;
  return { lo: x.offset + Math.min(0, r) + Math.min(0, c), hi: x.offset + Math.max(0, r) + Math.max(0, c) + 1 };
}

/**
 * How an operand gets into the heap. Copying the whole storage range it spans is one memcpy,
 * and the wasm `pack` then applies the strides. When that range is much larger than the
 * operand (a few columns of a wide matrix), gathering its elements in JS copies less.
 */
function gathers(x: Matrix, rows: number, cols: number): boolean {
  const { lo, hi } = spanOf(x, rows, cols);
  return hi - lo > 2 * rows * cols + 64;
}

/** Floats the operand takes in the heap once staged. */
function stagedSize(x: Matrix, rows: number, cols: number): number {
  if (gathers(x, rows, cols)) return rows * cols;
  const { lo, hi } = spanOf(x, rows, cols);
  return hi - lo;
}

/** Copy a rows x cols operand into heap[at ..] and describe where its elements landed. */
function stage(heap: Float32Array, x: Matrix, rows: number, cols: number, at: number, into: Staged): Staged {
  const data = x.data;
  if (gathers(x, rows, cols)) {
    let o = at;
    for (let i = 0; i < rows; i++) {
      let s = x.offset + i * x.rowStride;
      for (let j = 0; j < cols; j++, s += x.colStride) heap[o++] = data[s];
    }
    into.offset = at;
    into.rowStride = cols;
    into.colStride = 1;
    return into;
  }
  const { lo, hi } = spanOf(x, rows, cols);
  heap.set(data.subarray(lo, hi), at);
  into.offset = at + (x.offset - lo);
  into.rowStride = x.rowStride;
  into.colStride = x.colStride;
  return into;
}

/** Copy n elements of a strided row into heap[at ..] as contiguous floats. */
function stageRow(heap: Float32Array, v: Vector, n: number, at: number): void {
  if (v.stride === 1) {
    heap.set(v.data.subarray(v.offset, v.offset + n), at);
    return;
  }
  for (let j = 0, s = v.offset; j < n; j++, s += v.stride) heap[at + j] = v.data[s];
}

function roundUp(x: number, multiple: number): number {
  return Math.ceil(x / multiple) * multiple;
}

let instance: WasmMatmul | null | undefined; // undefined until first asked for

/**
 * The wasm kernel, made on first use; null where WebAssembly or SIMD128 is unavailable
 * (the caller then uses the TS kernel). Detection is simply whether this module validates.
 */
export function wasmMatmul(): WasmMatmul | null {
  if (instance === undefined) instance = instantiate(decodeBase64(MATMUL_WASM_BASE64));
  return instance;
}

/** Exported for tests: null for bytes the engine cannot run. */
export function instantiate(bytes: Uint8Array<ArrayBuffer>): WasmMatmul | null {
  const exports = instantiateSync(bytes);
  if (exports === null) return null;
  const { memory, pack, gemm, addRow } = exports;
  if (
    !(memory instanceof WebAssembly.Memory) ||
    typeof pack !== "function" || typeof gemm !== "function" || typeof addRow !== "function"
  ) return null;
  return new WasmMatmul({
    memory, pack: pack as MatmulExports["pack"], gemm: gemm as MatmulExports["gemm"], addRow: addRow as MatmulExports["addRow"],
  });
}

/** atob works in Node >= 16 and every browser; Buffer would tie the package to Node. */

