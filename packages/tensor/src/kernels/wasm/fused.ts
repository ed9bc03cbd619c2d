import type { FloatArray } from "../../dtype";
import type { LoadedModule, WasmModule } from "./module";
import { kernelHelper, type SharedKernel, type WorkerHelper } from "./threads";

/**
 * Fused kernels: one pass over a few float arrays of the same length n, written once in
 * WebAssembly and once in TypeScript (the reference, which defines the semantics). A package
 * describes its kernel once (`fusedKernel`) and calls `run`; this file picks the way:
 *
 *   1. every array in the arena (arena.ts): in place, one wasm call; from `threadsFrom`
 *      elements shared with the worker thread in chunks (threads.ts);
 *   2. else through copies: the arrays outside the arena are staged into scratch space of the
 *      module's memory in batches that stay in cache, the kernel runs on the batch (shared
 *      with the worker too, for long runs), and what it wrote is copied back;
 *   3. else (no WebAssembly SIMD, fewer than `minElements`, another array type) the reference.
 *
 * The same kernel computes every element on every path, so the bits do not depend on it.
 *
 * The wasm export is called `f(p0, ..., p(k-1), n, scalars)`: byte addresses of element 0 of
 * each array, the count, and the byte address of the scalars as consecutive float64s. That one
 * calling convention is what lets the worker run any kernel.
 */
export interface FusedKernelSpec {
  /** the module that exports the kernel (module.ts) */
  readonly module: WasmModule;
  /** the export's name */
  readonly name: string;
  /** the type of every array */
  readonly dtype: "float32" | "float64";
  /** how many arrays it takes (1 to 8) */
  readonly arrays: number;
  /** the indices of the arrays it reads: those staged through copies are copied in first */
  readonly reads: readonly number[];
  /** the indices of the arrays it writes: those staged through copies are copied back after */
  readonly writes: readonly number[];
  /** how many scalars it takes (0 if omitted) */
  readonly scalars?: number;
  /** the TypeScript form: the same arithmetic, on unit-stride runs at offsets[j] of arrays[j] */
  readonly reference: FusedReference;
  /** shorter runs take the reference, whose call costs less (default 128) */
  readonly minElements?: number;
  /** runs at least this long are shared with the worker thread (default: never) */
  readonly threadsFrom?: number;
}

export type FusedReference = (arrays: readonly FloatArray[], offsets: readonly number[], n: number, scalars: readonly number[]) => void;

type Export = (...args: number[]) => unknown;

/** Elements per chunk of a shared run: 128 KB of float32 per array. */
const THREAD_CHUNK_BYTES = 1 << 17;

/** Staged runs go in batches of this many bytes per array: in L2 on one thread, more when shared. */
const BATCH_BYTES = 1 << 16;
const SHARED_BATCH_BYTES = 1 << 19;

const NONE: readonly number[] = [];
let nextId = 1;

export class FusedKernel {
  /** how the worker knows this kernel */
  readonly id = nextId++;
  private readonly bytes: number;
  private readonly minElements: number;
  private readonly threadsFrom: number;
  private readonly pointers: number[];
  private readonly steps: number[];
  private readonly staged: boolean[];
  private shared: SharedKernel | null = null;
  private f: Export | null | undefined;

  /** @param spec - the kernel's description, as given to `fusedKernel` */
  constructor(readonly spec: FusedKernelSpec) {
    if (spec.arrays < 1 || spec.arrays > 8) throw new Error(`fusedKernel ${spec.name}: 1 to 8 arrays, got ${spec.arrays}`);
    this.bytes = spec.dtype === "float32" ? 4 : 8;
    this.minElements = spec.minElements ?? 128;
    this.threadsFrom = spec.threadsFrom ?? Infinity;
    this.pointers = new Array<number>(spec.arrays).fill(0);
    this.steps = new Array<number>(spec.arrays).fill(0);
    this.staged = new Array<boolean>(spec.arrays).fill(false);
  }

  /** Run over arrays[j][offsets[j] ..+ n], by the fastest way that applies (see the file comment). */
  run(arrays: readonly FloatArray[], offsets: readonly number[], n: number, scalars: readonly number[] = NONE): void {
    if (n <= 0) return;
    if (!this.tryWasm(arrays, offsets, n, scalars)) this.spec.reference(arrays, offsets, n, scalars);
  }

  /** The wasm ways only: false (having done nothing) where they do not apply. */
  tryWasm(arrays: readonly FloatArray[], offsets: readonly number[], n: number, scalars: readonly number[] = NONE): boolean {
    if (n < this.minElements) return false;
    const m = this.spec.module.get();
    const f = m === null ? null : this.exported(m);
    if (m === null || f === null) return false;
    const Type = this.bytes === 4 ? Float32Array : Float64Array;
    let staged = 0;
    for (let j = 0; j < this.spec.arrays; j++) {
      if (!(arrays[j] instanceof Type)) return false;
      this.staged[j] = !m.holds(arrays[j]);
      if (this.staged[j]) staged++;
    }
    const scalarBytes = (8 * (this.spec.scalars ?? 0) + 63) & ~63;
    const helper = n >= this.threadsFrom && m.onArena ? kernelHelper() : null;
    if (staged === 0) {
      const at = scalarBytes === 0 ? 0 : m.scratch.reserve(scalarBytes);
      if (at < 0) return false;
      this.writeScalars(m, at, scalars);
      for (let j = 0; j < this.spec.arrays; j++) this.pointers[j] = arrays[j].byteOffset + offsets[j] * this.bytes;
      this.launch(f, m, n, at, helper);
      return true;
    }
    // Through copies, in batches that fit the scratch space.
    let batch = Math.min(n, (helper !== null ? SHARED_BATCH_BYTES : BATCH_BYTES) / this.bytes);
    if (m.scratch.reserve(scalarBytes + staged * batch * this.bytes) < 0) {
      batch = Math.min(batch, Math.floor((m.scratch.size - scalarBytes) / (staged * this.bytes)) & ~15);
      if (batch < 16) return false;
    }
    const at = m.scratch.reserve(scalarBytes + staged * batch * this.bytes);
    this.writeScalars(m, at, scalars);
    const buffer = m.scratch.buffer;
    const heap: FloatArray = this.bytes === 4 ? new Float32Array(buffer) : new Float64Array(buffer);
    const { reads, writes } = this.spec;
    for (let done = 0; done < n; done += batch) {
      const len = Math.min(batch, n - done);
      for (let j = 0, slot = at + scalarBytes; j < this.spec.arrays; j++) {
        if (!this.staged[j]) {
          this.pointers[j] = arrays[j].byteOffset + (offsets[j] + done) * this.bytes;
          continue;
        }
        this.pointers[j] = slot;
        if (reads.includes(j)) heap.set(arrays[j].subarray(offsets[j] + done, offsets[j] + done + len), slot / this.bytes);
        slot += batch * this.bytes;
      }
      this.launch(f, m, len, at, helper);
      for (const j of writes) {
        if (!this.staged[j]) continue;
        const from = this.pointers[j] / this.bytes;
        arrays[j].set(heap.subarray(from, from + len), offsets[j] + done);
      }
    }
    return true;
  }

  /** One wasm call over n elements at this.pointers, or chunks of it on both threads. */
  private launch(f: Export, m: LoadedModule, n: number, scalarsAt: number, helper: WorkerHelper | null): void {
    const count = this.spec.arrays, p = this.pointers;
    if (helper === null || n < this.threadsFrom || m.compiled === null) {
      invoke(f, p, count, 0, n, scalarsAt);
      return;
    }
    const per = THREAD_CHUNK_BYTES / this.bytes;
    for (let j = 0; j < count; j++) this.steps[j] = per * this.bytes;
    this.shared ??= { id: this.id, module: m.compiled as WebAssembly.Module, name: this.spec.name };
    const job = { kernel: this.shared, pointers: p, steps: this.steps, scalars: scalarsAt };
    const ok = helper.run(job, n, per, (units, i) => invoke(f, p, count, i * per * this.bytes, units, scalarsAt));
    if (!ok) throw new Error(`minigrad internal error: the ${this.spec.name} kernel failed on the worker thread`);
  }

  private writeScalars(m: LoadedModule, at: number, scalars: readonly number[]): void {
    const count = this.spec.scalars ?? 0;
    if (count === 0) return;
    if (scalars.length !== count) throw new Error(`${this.spec.name}: expected ${count} scalars, got ${scalars.length}`);
    const block = new Float64Array(m.scratch.buffer, at, count);
    for (let i = 0; i < count; i++) block[i] = scalars[i];
  }

  private exported(m: LoadedModule): Export | null {
    if (this.f === undefined) {
      const f = m.exports[this.spec.name];
      this.f = typeof f === "function" ? (f as Export) : null;
    }
    return this.f;
  }
}

/** Describe a fused kernel once; `run` it on any float arrays (see FusedKernelSpec). */
export function fusedKernel(spec: FusedKernelSpec): FusedKernel {
  return new FusedKernel(spec);
}

/** f(p0 + shift, ..., n, s) without spreading an array (this is on every op's path). */
function invoke(f: Export, p: readonly number[], count: number, shift: number, n: number, s: number): void {
  switch (count) {
    case 1: f(p[0] + shift, n, s); return;
    case 2: f(p[0] + shift, p[1] + shift, n, s); return;
    case 3: f(p[0] + shift, p[1] + shift, p[2] + shift, n, s); return;
    case 4: f(p[0] + shift, p[1] + shift, p[2] + shift, p[3] + shift, n, s); return;
    case 5: f(p[0] + shift, p[1] + shift, p[2] + shift, p[3] + shift, p[4] + shift, n, s); return;
    default: f(...p.slice(0, count).map((x) => x + shift), n, s);
  }
}
