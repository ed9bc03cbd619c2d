import { mkdtempSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { trainDigits, type DigitsSettings } from "../src/lib/train-digits";

const dir = mkdtempSync(join(tmpdir(), "minigrad-digits-ckpt-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("digits --checkpoint / --resume", () => {
  it("an interrupted run resumed from its checkpoint ends exactly as the uninterrupted one (Adam, StepLR)", () => {
    const settings: DigitsSettings = { epochs: 3, lr: 1e-3, batchSize: 64, seed: 0, optimizer: "adam", scheduler: "step" };
    const straightFile = join(dir, "straight.ckpt");
    const straight = trainDigits({ ...settings, checkpoint: straightFile });

    const file = join(dir, "run.ckpt");
    const interrupt = () => {
      throw new Error("interrupted");
    };
    expect(() => trainDigits({ ...settings, checkpoint: file }, { onEpoch: (epoch) => epoch === 1 && interrupt() })).toThrow("interrupted");
    const resumed = trainDigits({ ...settings, resume: file, checkpoint: file });
    expect(resumed.firstEpoch).toBe(2);
    expect(resumed.epochs.length).toBe(2);
    expect([resumed.testAccuracy, resumed.lastBatchLoss]).toEqual([straight.testAccuracy, straight.lastBatchLoss]);
    expect(resumed.epochs.map((e) => [e.trainLoss, e.lr])).toEqual(straight.epochs.slice(1).map((e) => [e.trainLoss, e.lr]));
    // Same weights, optimizer and schedule state, shuffler, epoch and flags: the same bytes.
    expect(readFileSync(file).equals(readFileSync(straightFile))).toBe(true);
  });

  it("refuses a checkpoint of a run with other flags, before loading anything", () => {
    const file = join(dir, "rms.ckpt");
    trainDigits({ epochs: 1, lr: 1e-3, batchSize: 128, seed: 0, checkpoint: file });
    expect(() => trainDigits({ epochs: 2, lr: 1e-2, batchSize: 128, seed: 0, resume: file })).toThrow(
      /--resume .*rms\.ckpt: that run had lr 0\.001, this one has 0\.01/,
    );
    // Without a schedule, more epochs extend the run.
    expect(trainDigits({ epochs: 2, lr: 1e-3, batchSize: 128, seed: 0, resume: file }).firstEpoch).toBe(2);
  });
});
