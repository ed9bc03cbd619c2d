import { describe, expect, it } from "vitest";
import { trainDigitsCnn } from "../src/lib/train-digits-cnn";

describe("digits-cnn demo", () => {
  it("reaches test accuracy >= 0.98 with the full protocol (30 epochs, RMSprop 2e-3 cosine, batch 32, seed 0)", () => {
    const result = trainDigitsCnn({ epochs: 30, lr: 2e-3, batchSize: 32, seed: 0 });
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0.98);
    expect(result.epochs).toHaveLength(30);
    expect(result.epochs[29].trainLoss).toBeLessThan(result.epochs[0].trainLoss / 20);
    expect(result.epochs[29].lr).toBeLessThan(1e-4); // annealed
  });
});
