import { describe, expect, it } from "vitest";
import { allOrders, measure, type Contender, type Impl } from "../src/timing";

describe("the order contenders run in", () => {
  it("is every permutation, so each contender directly follows each other one equally often", () => {
    for (const n of [1, 2, 3]) {
      const orders = allOrders(n);
      expect(new Set(orders.map((o) => o.join())).size).toBe([1, 1, 2, 6][n]);
      const follows = new Map<string, number>();
      for (const o of orders) for (let i = 1; i < o.length; i++) follows.set(`${o[i - 1]}>${o[i]}`, (follows.get(`${o[i - 1]}>${o[i]}`) ?? 0) + 1);
      expect(new Set(follows.values()).size).toBeLessThanOrEqual(1);
      expect(follows.size).toBe(n * (n - 1));
    }
  });

  it("is what measure runs: one sample per contender per round", async () => {
    const ran: Impl[] = [];
    const contender = (impl: Impl): Contender => ({ impl, run: () => (ran.push(impl), { ms: 1 }) });
    const stats = await measure([contender("minigrad"), contender("tfjs-wasm"), contender("tfjs-cpu")], { warmup: 0, repeats: 6 });
    expect(stats.get("minigrad")?.n).toBe(6);
    const rounds = Array.from({ length: 6 }, (_, r) => ran.slice(3 * r, 3 * r + 3).join(" "));
    expect(new Set(rounds).size).toBe(6);
  });
});
