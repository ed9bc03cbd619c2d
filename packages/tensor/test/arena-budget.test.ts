import { describe, expect, it } from "vitest";
import { memoryStats, noGrad, randn, tidy } from "../src/index";
import { GC_BUDGET, arena } from "../src/kernels/wasm/arena";

/**
 * PyTorch-style code drops its tensors without dispose; in a synchronous loop only the garbage
 * collector could return their arena blocks, and it never does before the loop ends. Such
 * blocks may grow the arena by GC_BUDGET bytes at most, so the rest stays for tidy and
 * backward scopes, and later tensors are not starved.
 */
describe("the arena's budget for blocks only the collector can return", () => {
  it("a loop that drops 1e6-float results fills at most the budget, and tidy still gets arena storage", () => {
    const a = randn([1_000_000]);
    const before = memoryStats().inUseBytes;
    let last = a;
    for (let i = 0; i < 40; i++) last = noGrad(() => a.exp()); // 160 MB of results, never disposed
    expect(memoryStats().inUseBytes - before).toBeLessThanOrEqual(GC_BUDGET);
    expect(arena()?.holds(last.storage)).toBe(false); // an ordinary typed array, computed by the same kernel
    expect(last.storage[7]).toBe(noGrad(() => a.exp()).storage[7]);
    const inTidy = tidy(() => {
      const t = a.exp();
      return arena()?.holds(t.storage) ?? false;
    });
    expect(inTidy).toBe(true);
  });
});
