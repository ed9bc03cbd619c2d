import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseTrainFlags } from "../src/lib/cli";
import { loadDigits, loadIris, splitByIndex } from "../src/lib/data";
import { lineChartSvg, ticks } from "../src/lib/plot";
import { trainDigits } from "../src/lib/train-digits";

describe("digits demo", () => {
  it("reaches the PyTorch reference accuracy (>= 0.97) with the full protocol: 30 epochs, lr 1e-3, batch 32", () => {
    const result = trainDigits({ epochs: 30, lr: 1e-3, batchSize: 32, seed: 0 });
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0.97);
    expect(result.epochs).toHaveLength(30);
    expect(result.epochs[29].trainLoss).toBeLessThan(result.epochs[0].trainLoss / 10);
  });

  it("splits the data as the reference: 1437 training rows, 360 test rows, pixels in [0, 1]", () => {
    const { train, test } = splitByIndex(loadDigits(), 5);
    expect(train.x.shape).toEqual([1437, 64]);
    expect(test.x.shape).toEqual([360, 64]);
    expect(train.x.amax().item()).toBe(1);
    expect(test.y.dtype).toBe("int32");
  });
});

describe("example plumbing", () => {
  it("loads iris with its class names", () => {
    const iris = loadIris();
    expect(iris.x.shape).toEqual([150, 4]);
    expect(iris.classes).toEqual(["setosa", "versicolor", "virginica"]);
  });

  it("parses flags with defaults and rejects bad values", () => {
    const defaults = { epochs: 30, lr: 1e-3, batchSize: 32, seed: 0, out: "out" };
    expect(parseTrainFlags("t", "", defaults, ["--epochs", "3", "--lr", "0.5", "--batch-size", "8"])).toEqual({
      ...defaults, epochs: 3, lr: 0.5, batchSize: 8,
    });
  });

  it("prints --help, and exits 2 with a clear message on an unknown flag or a bad value", () => {
    const script = fileURLToPath(new URL("./fixtures/flags.ts", import.meta.url));
    const tsx = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
    const run = (...args: string[]) => spawnSync(tsx, [script, ...args], { encoding: "utf8" });
    expect(JSON.parse(run("--seed", "7").stdout).seed).toBe(7);
    const help = run("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("--batch-size");
    const unknown = run("--epoch", "3");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/digits: Unknown option '--epoch'/);
    const bad = run("--lr", "fast");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('digits: --lr expects a number, got "fast"');
  });

  it("writes an SVG chart with axes, labels and a legend", () => {
    const svg = lineChartSvg({
      title: "t", xLabel: "epoch", leftLabel: "loss", rightLabel: "accuracy", rightRange: [0, 1],
      series: [{ name: "train loss", points: [[1, 2], [2, 1]], color: "red" }, { name: "acc", points: [[1, 0.5], [2, 0.9]], color: "blue", axis: "right" }],
    });
    expect(svg.startsWith("<svg")).toBe(true);
    for (const text of ["epoch", "loss", "accuracy", "train loss (left axis)", "acc (right axis)"]) expect(svg).toContain(text);
    expect(ticks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });
});
