/**
 * The arena: one shared WebAssembly.Memory that holds the storage of large float tensors, so
 * the wasm kernels work on it where it lies (no copy in, no copy out) and freed blocks are
 * reused (no fresh multi-MB allocation, whose first touch costs the OS a page fault per 4 KB).
 *
 * A block is freed (1) when `release` is called for it: Tensor.dispose() / tidy() do that once
 * the last tensor over the storage is disposed; or (2) by the garbage collector, through a
 * FinalizationRegistry on the storage typed array, once nothing references it any more.
 * (Storage made inside a tidy or backward scope is registered only if it outlives the scope:
 * see `watch`.)
 * Finalizers run only between tasks, never inside a synchronous loop: a loop that neither
 * disposes nor yields (PyTorch-style code, which drops its tensors) would fill the arena with
 * blocks nobody can return, each one fresh memory (the first touch of every 4 KB page costs
 * ~13 us on this project's VMs: 13 ms per 4 MB). So blocks that only the collector can return
 * may take free blocks, but grow the arena only up to GC_BUDGET bytes in all; past it such
 * storage is an ordinary typed array, which V8 does free inside a loop (the kernels stage it
 * through copies: fused.ts), and the rest of the arena stays for tidy and backward scopes.
 *
 * Shared memory is what makes this safe: growing it never detaches the typed arrays already
 * made over it (a non-shared memory's old ArrayBuffer is detached on every grow). Where
 * SharedArrayBuffer is missing (browsers without cross-origin isolation) there is no arena.
 *
 * A caveat of (2): a typed array made by user code over `storage.buffer` does not keep the
 * block alive; `storage` itself (or its tensor) must be kept.
 */

import { growTo } from "./load";

/** Page size of WebAssembly memory. */
const PAGE = 65536;

/**
 * The memory's maximum, in pages (1 GiB). Shared memories must declare one; the shared builds
 * of the kernels declare the same (scripts/build-wasm.ts), so they can import this memory.
 */
export const ARENA_MAX_PAGES = 16384;

/** Storage of at least this many bytes (4096 float32) may go to the arena: see dtype.ts's useArena. */
export const ARENA_MIN_BYTES = 16384;

/** Storage of at least this many bytes (262,144 float32) goes to the arena while it has room. */
export const ARENA_ALWAYS_BYTES = 2 ** 20;

/**
 * At most this many bytes of fresh arena memory go to blocks made outside a tidy or backward
 * scope (which only the garbage collector can return): enough for the parameters and
 * optimizer state of a model of a few million floats.
 */
export const GC_BUDGET = 64 * 2 ** 20;

/** Blocks start on 64-byte boundaries: whole cache lines, and any SIMD alignment. */
const ALIGN = 64;

export interface Block {
  /** byte address in the memory */
  readonly at: number;
  /** size of the block (its size class), bytes */
  readonly bytes: number;
  /** live (not disposed) tensors over this storage; see Tensor */
  owners: number;
  freed: boolean;
  /** whether the FinalizationRegistry watches it (blocks made inside a scope wait for its end) */
  registered: boolean;
  /** handed to user code (a tensor's `storage`): only the collector may return it, not dispose */
  exposed: boolean;
}

/**
 * The size class of a request: four per power of two (2^k times 1, 1.25, 1.5, 1.75), so a
 * block is at most 25% larger than asked and blocks of nearby sizes are interchangeable.
 */
export function sizeClass(bytes: number): number {
  if (bytes <= ALIGN) return ALIGN;
  const step = 2 ** Math.max(6, Math.floor(Math.log2(bytes - 1)) - 2);
  return Math.ceil(bytes / step) * step;
}

export class Arena {
  /** every ArrayBuffer `memory.buffer` has returned: one per size the memory has had */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /**
   * Live blocks by address. (A WeakMap keyed by the typed array would say the same for the
   * arrays `allocate` made, but costs ~0.5 us a set, as much as the rest of `allocate`.)
   */
  private readonly live = new Map<number, Block>();
  private readonly free = new Map<number, number[]>(); // size class -> addresses
  private readonly registry = new FinalizationRegistry<Block>((b) => this.release(b));
  private top = ALIGN; // bump pointer; address 0 is never handed out
  private inUse = 0;
  /** bytes in live blocks the FinalizationRegistry watches: those only the collector may return */
  private watched = 0;
  private limitBytes: number;

  /** memory.buffer as of the last growth (only this class grows the memory) */
  private buffer: ArrayBufferLike;

  constructor(readonly memory: WebAssembly.Memory, limitBytes = 256 * 2 ** 20) {
    this.limitBytes = limitBytes;
    this.buffer = memory.buffer;
    this.buffers.add(this.buffer);
  }

  /**
   * Zero-filled storage of `length` elements of this typed array type, or null when the arena
   * is full (the caller allocates a plain typed array instead). `zero = false` skips the
   * clearing of a reused block, for outputs that the kernel overwrites entirely.
   * `watch = false` leaves the block out of the FinalizationRegistry for now: for storage made
   * inside a tidy or backward scope, which disposes it at its end or, for the tensors that
   * outlive it, calls `watch` then (a registration costs ~0.2 us and some GC work; most
   * such blocks never need one).
   */
  allocate<T extends Float32Array | Float64Array>(
    type: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number },
    length: number,
    zero = true,
    watch = true,
  ): T | null {
    const bytes = sizeClass(length * type.BYTES_PER_ELEMENT);
    let at = this.free.get(bytes)?.pop();
    const reused = at !== undefined;
    if (at === undefined) {
      if (watch && this.watched + bytes > GC_BUDGET) return null;
      if (this.top + bytes > this.limitBytes || !this.reserve(this.top + bytes)) return null;
      at = this.top;
      this.top += bytes;
    }
    const data = new type(this.buffer, at, length);
    if (reused && zero) data.fill(0); // fresh pages are zero already
    const block: Block = { at, bytes, owners: 0, freed: false, registered: false, exposed: false };
    this.live.set(at, block);
    if (watch) this.watch(data, block);
    this.inUse += bytes;
    return data;
  }

  /** True if `data` lives in this arena's memory (its byteOffset is then its wasm address). */
  holds(data: ArrayBufferView): boolean {
    return this.buffers.has(data.buffer);
  }

  /**
   * The live block that `data` starts at and fits in: the storage `allocate` made, or any
   * array over the same memory (which then counts as an owner too); undefined for anything else.
   */
  blockOf(data: ArrayBufferView): Block | undefined {
    if (!this.holds(data)) return undefined;
    const block = this.live.get(data.byteOffset);
    return block !== undefined && data.byteLength <= block.bytes ? block : undefined;
  }

  /** Let the garbage collector free `block` once `data` (its storage) is unreachable. */
  watch(data: ArrayBufferView, block: Block): void {
    if (block.registered || block.freed) return;
    block.registered = true;
    this.watched += block.bytes;
    this.registry.register(data, block, block);
  }

  /** Return a block to its free list (at most once; the GC then has nothing left to do). */
  release(block: Block): void {
    if (block.freed) return;
    block.freed = true;
    this.live.delete(block.at);
    if (block.registered) {
      this.registry.unregister(block);
      this.watched -= block.bytes;
    }
    this.inUse -= block.bytes;
    let list = this.free.get(block.bytes);
    if (list === undefined) this.free.set(block.bytes, (list = []));
    list.push(block.at);
  }

  /** Bytes in live blocks, bytes handed out so far (the high-water mark), and the limit. */
  stats(): { inUseBytes: number; reservedBytes: number; limitBytes: number } {
    return { inUseBytes: this.inUse, reservedBytes: this.top, limitBytes: this.limitBytes };
  }

  /** Change the limit (it cannot go below what has been handed out, nor above the maximum). */
  setLimit(bytes: number): void {
    this.limitBytes = Math.min(Math.max(bytes, this.top), ARENA_MAX_PAGES * PAGE);
  }

  /** Grow the memory to at least `bytes` (by a quarter at least, so growth is rare). */
  private reserve(bytes: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return true;
    const want = Math.min(Math.max(bytes, have + (have >> 2)), this.limitBytes, ARENA_MAX_PAGES * PAGE);
    if (!growTo(this.memory, Math.max(want, bytes))) return false;
    this.buffer = this.memory.buffer; // a shared memory's buffer object changes with its size
    this.buffers.add(this.buffer);
    return true;
  }
}

let instance: Arena | null | undefined; // undefined until first asked for

/** The arena, made on first use; null where shared WebAssembly memory is unavailable. */
export function arena(): Arena | null {
  if (instance === undefined) instance = create();
  return instance;
}

function create(): Arena | null {
  if (typeof WebAssembly !== "object" || typeof SharedArrayBuffer !== "function") return null;
  if (typeof FinalizationRegistry !== "function") return null;
  try {
    return new Arena(new WebAssembly.Memory({ initial: 1, maximum: ARENA_MAX_PAGES, shared: true }));
  } catch {
    return null;
  }
}
