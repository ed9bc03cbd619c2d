import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { forEachRow, repeatBlock } from "../src/kernels/iterate";
import { randn } from "../src/index";

/** repeatBlock: when an operand is one dense block repeated along the leading dims. */
describe("repeatBlock", () => {
  const view = (shape: number[], strides: number[], offset = 0) => ({ _data: new Float32Array(0), shape, strides, offset });

  it("finds a bias block, as given or expanded (stride 0)", () => {
    expect(repeatBlock(view([128], [1]), [32, 128])).toBe(128);
    expect(repeatBlock(view([32, 128], [0, 1]), [32, 128])).toBe(128);
    expect(repeatBlock(view([1, 128], [128, 1]), [32, 128])).toBe(128);
    expect(repeatBlock(view([4, 3], [3, 1]), [2, 5, 4, 3])).toBe(12);
    expect(repeatBlock(view([2, 5, 4, 3], [0, 0, 3, 1]), [2, 5, 4, 3])).toBe(12);
  });

  it("declines what does not repeat as one dense block", () => {
    expect(repeatBlock(view([32, 1], [1, 1]), [32, 128])).toBe(-1); // a column
    expect(repeatBlock(view([128, 32], [1, 128]), [128, 32])).toBe(-1); // transposed
    expect(repeatBlock(view([2, 4, 3], [3, 0, 1]), [2, 4, 3])).toBe(-1); // broadcast in the middle
    expect(repeatBlock(view([64], [2]), [32, 64])).toBe(-1); // strided
  });

  it("adding an expanded operand through it gives the broadcast sum", () => {
    const a = randn([6, 5]), b = randn([5]);
    const viaExpand = a.add(b.expand([6, 5]));
    const direct = a.add(b);
    expect(viaExpand.toArray()).toEqual(direct.toArray());
  });
});

/** forEachRow: every element of every operand visited once, in row-major order of the shape. */
describe("forEachRow", () => {
  /** The operands' element offsets in row-major order, by brute force. */
  function expected(shape: number[], strides: number[][], offsets: number[]): number[][] {
    const out: number[][] = strides.map(() => []);
    const total = shape.reduce((a, b) => a * b, 1);
    for (let flat = 0; flat < total; flat++) {
      let rest = flat;
      const idx = shape.map(() => 0);
      for (let d = shape.length - 1; d >= 0; d--) { idx[d] = rest % shape[d]; rest = Math.floor(rest / shape[d]); }
      strides.forEach((st, o) => out[o].push(offsets[o] + idx.reduce((acc, i, d) => acc + i * st[d], 0)));
    }
    return out;
  }

  function visited(shape: number[], strides: number[][], offsets: number[]): number[][] {
    const out: number[][] = strides.map(() => []);
    forEachRow(shape, strides, offsets, (off, n, inner) => {
      for (let i = 0; i < n; i++) strides.forEach((_, o) => out[o].push(off[o] + i * inner[o]));
    });
    return out;
  }

  const contiguous = (shape: number[]) => shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));

  it("contiguous operands: one row (size-1 dims may have any stride), empty shapes visit nothing", () => {
    const rows: number[] = [];
    forEachRow([2, 1, 3], [[3, 99, 1], [3, -5, 1]], [0, 4], (_, n) => rows.push(n));
    expect(rows).toEqual([6]);
    expect(visited([2, 1, 3], [[3, 99, 1], [3, -5, 1]], [0, 4])).toEqual(expected([2, 1, 3], [[3, 99, 1], [3, -5, 1]], [0, 4]));
    const none: number[] = [];
    forEachRow([2, 0, 3], [[0, 3, 1]], [0], (_, n) => none.push(n));
    forEachRow([4, 0], [[1, 4]], [0], (_, n) => none.push(n));
    expect(none).toEqual([]);
    expect(visited([], [[], []], [3, 5])).toEqual([[3], [5]]); // 0-d: one element
  });

  it("visits the same elements as a brute-force odometer, for random shapes and strides", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 }),
        fc.array(fc.constantFrom("contiguous", "random", "transposed"), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 1000 }),
        (shape, kinds, seed) => {
          let r = seed;
          const rand = () => (r = (r * 1103515245 + 12345) % 2147483648) % 7 - 2;
          const strides = kinds.map((kind) =>
            kind === "contiguous" ? contiguous(shape) : kind === "transposed" ? contiguous(shape).reverse() : shape.map(() => rand()));
          const offsets = kinds.map((_, i) => 10 * i);
          expect(visited(shape, strides, offsets)).toEqual(expected(shape, strides, offsets));
        },
      ),
      { numRuns: 300 },
    );
  });
});
