/**
 * Storage for small tensors outside the wasm arena: views carved in turn from 64 KiB
 * ArrayBuffers (slabs), instead of a fresh typed array each.
 *
 * Why: a fresh typed array of 65 bytes to 16 KiB costs V8 ~1 us (an off-heap allocation plus
 * an ArrayBuffer the garbage collector tracks), a view on an existing buffer ~0.1 us. A training
 * step makes a dozen such tensors (activations, small gradients, a batch), about 4% of a digits
 * step. Up to 64 bytes V8 keeps a typed array's elements on its own heap, which is cheaper still,
 * so those stay plain; from 16 KiB the zero-filling dominates and a slab would hold few.
 *
 * A view's memory is never handed out twice, and a new slab is zero-filled, so storage from
 * here is zero. A slab returns to the garbage collector with its last view: one long-lived small
 * tensor keeps its slab's 64 KiB alive, which bounds the waste per such tensor. The cost of
 * sharing: `t.storage.buffer` is the slab, so transfer a copy to a worker, not that buffer.
 */
const SLAB_BYTES = 1 << 16;
/** Typed arrays up to this many bytes are plain (on V8's heap). */
const ON_HEAP_BYTES = 64;
/** Storage above this many bytes gets its own typed array. */
const MAX_BYTES = 1 << 14;
/** Views start on 16-byte boundaries: Float64Array needs 8, and 16 is a SIMD vector. */
const ALIGN = 16;

let slab = new ArrayBuffer(0);
let top = SLAB_BYTES; // full: the first call makes a slab

type ArrayType<T> = { new (length: number): T; new (buffer: ArrayBuffer, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number };

/** A zero-filled typed array of `length` elements: from a slab when small, plain otherwise. */
export function smallArray<T>(type: ArrayType<T>, length: number): T {
  const bytes = length * type.BYTES_PER_ELEMENT;
  if (bytes <= ON_HEAP_BYTES || bytes > MAX_BYTES) return new type(length);
  if (top + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    top = 0;
  }
  const data = new type(slab, top, length);
  top += (bytes + ALIGN - 1) & -ALIGN;
  return data;
}
