import { describe, expect, it } from "vitest";
import { repeatBlock } from "../src/kernels/iterate";
import { randn } from "../src/index";

/** repeatBlock: when an operand is one dense block repeated along the leading dims. */
describe("repeatBlock", () => {
  const view = (shape: number[], strides: number[], offset = 0) => ({ storage: new Float32Array(0), shape, strides, offset });

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
