import { arena, type Arena } from "./arena";
import { decodeBase64, growTo, instantiateSync, unshareMemoryImport } from "./load";

/**
 * A WebAssembly module of kernels. Every kernel module is built once, importing a shared
 * memory as `env.memory` (scripts/wat.ts), and runs over whichever memory the engine allows:
 *  - the arena's (arena.ts), where large tensors' storage lives: the kernels work on it in
 *    place, and the worker thread (threads.ts) runs the same module on the same memory;
 *  - else (no SharedArrayBuffer: a page without cross-origin isolation) a memory of its own,
 *    with the import made non-shared, into which the data is copied.
 * The one class serves both: `holds(view)` says whether a typed array can be used in place,
 * and `scratch(bytes)` gives room to copy the rest into (fused.ts stages through it).
 */
export class WasmModule {
  private loaded: LoadedModule | null | undefined; // undefined until first asked for

  /**
   * `name`: the .wat it was built from, for messages. `base64`: the module's bytes (importing
   * a shared memory), as the generated files hold them.
   * `arena: false` runs it over a memory of its own even where the arena exists (tests of the
   * path that engines without SharedArrayBuffer take).
   */
  constructor(name: string, private readonly base64: string, private readonly options: { arena?: boolean } = {}) {
    this.name = name;
  }

  /** The .wat the module was built from (`exp.wat`), for messages. */
  readonly name: string;

  /** The instance, made on first use; null where WebAssembly or SIMD128 is unavailable. */
  get(): LoadedModule | null {
    if (this.loaded === undefined) this.loaded = load(this.base64, this.options.arena ?? true);
    return this.loaded;
  }
}

/**
 * What the kernels use of a `WebAssembly.Memory`. Named by shape, as are the exports and the
 * compiled module below, so that the package's public types need no WebAssembly (DOM) lib.
 */
export interface KernelMemory {
  readonly buffer: ArrayBufferLike;
  grow(deltaPages: number): number;
}

export interface LoadedModule {
  /** the instance's exports (`WebAssembly.Exports`): the kernels, by name */
  readonly exports: Readonly<Record<string, unknown>>;
  readonly memory: KernelMemory;
  /** whether the module runs over the arena's memory (arena.ts) */
  readonly onArena: boolean;
  /** the compiled shared build (a `WebAssembly.Module`), for the worker (null over a memory of its own) */
  readonly compiled: object | null;
  /** room to stage data in, in the same memory */
  readonly scratch: ScratchSpace;
  /** true if `view` lies in this memory, so its byteOffset is its wasm address */
  holds(view: ArrayBufferView): boolean;
}

function load(base64: string, useArena: boolean): LoadedModule | null {
  const bytes = decodeBase64(base64);
  const a = useArena ? arena() : null;
  if (a !== null && WebAssembly.validate(bytes)) {
    try {
      const compiled = new WebAssembly.Module(bytes);
      const exports = new WebAssembly.Instance(compiled, { env: { memory: a.memory } }).exports;
      return { exports, memory: a.memory, onArena: true, compiled, scratch: arenaScratch(a), holds: (v) => a.holds(v) };
    } catch {
      // fall through to a memory of its own
    }
  }
  const memory = makeMemory();
  const exports = memory === null ? null : instantiateSync(unshareMemoryImport(bytes), { env: { memory } });
  if (memory === null || exports === null) return null;
  return { exports, memory, onArena: false, compiled: null, scratch: new Scratch(memory, null), holds: () => false };
}

function makeMemory(): WebAssembly.Memory | null {
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 16384 });
  } catch {
    return null;
  }
}

/** Room to stage data in (Scratch below), as the kernels see it. */
export interface ScratchSpace {
  /** The address of at least `bytes` bytes of scratch, or -1 if the memory cannot give them. */
  reserve(bytes: number): number;
  /** Bytes reserved so far (what `reserve` gives without growing). */
  readonly size: number;
  /** The memory's current buffer (a shared memory's changes with its size; none is detached). */
  readonly buffer: ArrayBufferLike;
}

/**
 * Reusable room in a module's memory: for the scalars of a fused kernel and the data staged
 * through it. Over the arena it is one arena block shared by every module (all run on the
 * same memory), replaced by a larger one when a call needs more; over a memory of its own it
 * starts at address 64, and the memory grows to fit. Its contents do not outlive a call.
 */
export class Scratch implements ScratchSpace {
  private at = 0;
  private bytes = 0;
  private block: Float64Array | null = null; // holds the arena block (and keeps it alive)

  constructor(private readonly memory: KernelMemory, private readonly arena: Arena | null) {}

  /** The address of at least `bytes` bytes of scratch, or -1 if the memory cannot give them. */
  reserve(bytes: number): number {
    if (bytes <= this.bytes) return this.at;
    if (this.arena === null) {
      if (!growTo(this.memory, 64 + bytes)) return -1;
      this.at = 64;
      this.bytes = bytes;
      return this.at;
    }
    const want = Math.max(bytes, 2 * this.bytes);
    const block = this.arena.allocate(Float64Array, Math.ceil(want / 8), false);
    if (block === null) return -1;
    const old = this.block === null ? undefined : this.arena.blockOf(this.block);
    if (old !== undefined) this.arena.release(old);
    this.block = block;
    this.at = block.byteOffset;
    this.bytes = block.byteLength;
    return this.at;
  }

  /** Bytes reserved so far (what `reserve` gives without growing). */
  get size(): number {
    return this.bytes;
  }

  /** The memory's current buffer (a shared memory's changes with its size; none is detached). */
  get buffer(): ArrayBufferLike {
    return this.memory.buffer;
  }
}

const scratches = new WeakMap<Arena, Scratch>();

/**
 * Scratch made with the first module, while the arena has room: a loop that drops its large
 * tensors without dispose fills the arena with blocks only the garbage collector can return,
 * and that is when tensors outside it need the staging most.
 */
export const SCRATCH_BYTES = 4 * 2 ** 20 + 4096;

function arenaScratch(a: Arena): Scratch {
  let s = scratches.get(a);
  if (s === undefined) {
    scratches.set(a, (s = new Scratch(a.memory, a)));
    s.reserve(SCRATCH_BYTES);
  }
  return s;
}
