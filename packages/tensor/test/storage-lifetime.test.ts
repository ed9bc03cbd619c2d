import { describe, expect, it } from "vitest";
import { full, memoryStats, noGrad, tidy } from "../src/index";

// Issue 19: `s = a.storage; a.dispose(); b = full(...)` let s read b's values, because the
// arena handed a's block to b. Storage handed out by `storage` is now returned by the garbage
// collector only (when s is unreachable), never by dispose.
describe("storage handed out by `storage` outlives dispose", () => {
  it("a disposed tensor's storage keeps its values while the next tensors are made", () => {
    const a = full([1e6], 7);
    const s = a.storage;
    const before = memoryStats().inUseBytes;
    a.dispose();
    expect(memoryStats().inUseBytes).toBe(before); // not returned by dispose
    const b = full([1e6], 3);
    const c = full([1e6], 5);
    expect(s[0]).toBe(7);
    expect(s[999_999]).toBe(7);
    expect(b._data.byteOffset).not.toBe(s.byteOffset);
    expect(c._data.byteOffset).not.toBe(s.byteOffset);
    b.dispose();
    c.dispose();
  });

  it("also for a view's storage, and inside tidy", () => {
    let s: Float32Array | null = null;
    tidy(() => {
      const a = full([1000, 1000], 2);
      s = a.T.narrow(0, 0, 10).storage as Float32Array;
    });
    const b = tidy(() => noGrad(() => full([1e6], 9).mul(1)));
    expect(s![0]).toBe(2);
    expect(b._data.byteOffset).not.toBe(s!.byteOffset);
    b.dispose();
  });

  it("without `storage` read, dispose still returns the block at once (the ops read it internally)", () => {
    const a = full([1e6], 7);
    const y = noGrad(() => a.mul(2).add(a));
    const before = memoryStats().inUseBytes;
    a.dispose();
    y.dispose();
    expect(memoryStats().inUseBytes).toBeLessThan(before);
    const b = full([1e6], 1);
    expect([...b.toTypedArray().subarray(0, 3)]).toEqual([1, 1, 1]);
    b.dispose();
  });
});
