import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { randn, tensor, zeros } from "../src";
import { smallArray } from "../src/slab";

const TYPES = [Float32Array, Float64Array, Int32Array, Uint8Array] as const;
type Small = Float32Array | Float64Array | Int32Array | Uint8Array;

describe("small storage from slabs", () => {
  it("hands out zero-filled, aligned arrays that never overlap (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 5000 })), { minLength: 1, maxLength: 60 }), (requests) => {
        const made: Small[] = [];
        for (const [kind, length] of requests) {
          const a = smallArray<Small>(TYPES[kind], length);
          expect(a).toBeInstanceOf(TYPES[kind]);
          expect(a.length).toBe(length);
          expect(a.every((v) => v === 0)).toBe(true);
          expect(a.byteOffset % 16).toBe(0);
          made.push(a);
        }
        // Mark every array with its own index, then check that no other write landed in it.
        made.forEach((a, i) => a.fill((i % 200) + 1));
        made.forEach((a, i) => expect(a.every((v) => v === (i % 200) + 1)).toBe(true));
      }),
      { numRuns: 50 },
    );
  });

  it("gives up to 64 bytes and over 16 KiB their own buffer", () => {
    for (const length of [1, 16, 4097, 100_000]) {
      const a = smallArray(Float32Array, length);
      expect(a.byteOffset).toBe(0);
      expect(a.buffer.byteLength).toBe(a.byteLength);
    }
    const shared = smallArray(Float32Array, 17); // 68 bytes: from a slab
    expect(shared.buffer.byteLength).toBeGreaterThan(shared.byteLength);
  });

  it("backs small tensors, whose values read back as a typed array alone in its buffer", () => {
    const a = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15], [16, 17, 18]]);
    expect(a.storage.buffer.byteLength).toBe(1 << 16); // a slab
    expect(zeros([30]).storage.buffer.byteLength).toBe(1 << 16);
    const values = a.mul(2).toTypedArray();
    expect(values.byteOffset).toBe(0);
    expect(values.buffer.byteLength).toBe(18 * 4);
    expect(Array.from(values)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36]);
    const r = randn([40, 40]).toTypedArray(); // 6400 bytes
    expect(r.buffer.byteLength).toBe(6400);
  });
});
