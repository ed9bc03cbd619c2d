import { describe, expect, it } from "vitest";
import { full, memoryStats, toNdarray } from "../src/index";

describe("an ndarray from toNdarray keeps its arena block alive", () => {
  it("disposing the tensor does not hand the block to the next tensor while the ndarray reads it", () => {
    const a = full([1e6], 7);
    const nd = toNdarray(a);
    const before = memoryStats().inUseBytes;
    a.dispose();
    expect(memoryStats().inUseBytes).toBe(before); // the ndarray still owns the block
    const b = full([1e6], 3);
    expect(nd.get(0)).toBe(7);
    expect(nd.get(999999)).toBe(7);
    expect(b.storage.byteOffset).not.toBe(nd.data.byteOffset);
    b.dispose();
  });

  it("without an ndarray, dispose still frees the block at once", () => {
    const a = full([1e6], 7);
    const before = memoryStats().inUseBytes;
    a.dispose();
    expect(memoryStats().inUseBytes).toBeLessThan(before);
  });
});
