import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Linear, ReLU, Sequential, functional as F } from "@minigrad/nn";
import { RMSprop, SGD } from "@minigrad/optim";
import { Generator, manualSeed, tensor } from "@minigrad/tensor";
import { parseFlags } from "../src/lib/cli";
import { contourSegments } from "../src/lib/contours";
import { loadDigits, splitByIndex, take } from "../src/lib/data";
import { MINIBATCH_NAMES, OPTIMIZERS, OPTIMIZER_NAMES, createSchedule, minibatchRefusals } from "../src/lib/optimizers";
import { lineChartSvg, logTicks } from "../src/lib/plot";
import { trainDigits, type EpochSummary } from "../src/lib/train-digits";
import { checkPng } from "./helpers/png";

const withoutTimes = (epochs: EpochSummary[]) => epochs.map(({ ms: _ms, ...rest }) => rest);

describe("digits with --optimizer and --scheduler", () => {
  it("the default run is still the reference protocol, bit for bit: RMSprop(lr) and the same batches", () => {
    const settings = { epochs: 2, lr: 1e-3, batchSize: 32, seed: 0 };
    // The reference loop written out (no registry, no schedule), as the digits demo ran it.
    manualSeed(settings.seed);
    const shuffler = new Generator(settings.seed + 1);
    const { train } = splitByIndex(loadDigits(), 5);
    const model = new Sequential(new Linear(64, 128), new ReLU(), new Linear(128, 10));
    const optimizer = new RMSprop(model.parameters(), { lr: settings.lr });
    const n = train.y.shape[0];
    const losses: number[] = [];
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      const order = shuffler.randperm(n);
      let sum = 0;
      for (let start = 0; start < n; start += settings.batchSize) {
        const batch = take(train, order.subarray(start, Math.min(start + settings.batchSize, n)));
        optimizer.zeroGrad();
        const loss = F.crossEntropy(model.forward(batch.x), batch.y);
        loss.backward();
        optimizer.step();
        sum += loss.item() * batch.y.shape[0];
      }
      losses.push(sum / n);
    }
    const byDefault = trainDigits(settings);
    expect(byDefault.epochs.map((e) => e.trainLoss)).toEqual(losses);
    expect(byDefault.epochs.every((e) => e.lr === 1e-3)).toBe(true);
    const named = trainDigits({ ...settings, optimizer: "rmsprop", scheduler: "none" });
    expect(withoutTimes(named.epochs)).toEqual(withoutTimes(byDefault.epochs));
    expect(named.testAccuracy).toBe(byDefault.testAccuracy);
  });

  it("every registered optimizer trains the MLP from the same init: the loss falls in 2 epochs at its default lr", () => {
    for (const name of OPTIMIZER_NAMES) {
      const result = trainDigits({ epochs: 2, lr: OPTIMIZERS[name].digitsLr, batchSize: 32, seed: 0, optimizer: name });
      const [first, second] = result.epochs;
      expect(second.trainLoss, name).toBeLessThan(first.trainLoss);
      expect(first.trainLoss, name).toBeLessThan(Math.log(10)); // below chance level's cross entropy
      expect(result.testAccuracy, name).toBeGreaterThan(0.5);
    }
  });

  it("the schedules set torch's lrs: cosine to 0 over the run, one cycle up to maxLr and down, step x0.1 per third", () => {
    const run = { epochs: 3, stepsPerEpoch: 10 }; // OneCycleLR peaks at step 0.3 * 30 - 1 = 8
    const trace = (name: "cosine" | "onecycle" | "step", optimizer: RMSprop | SGD) => {
      const schedule = createSchedule(name, optimizer, run);
      const lrs: number[] = [];
      for (let epoch = 0; epoch < run.epochs; epoch++) {
        for (let step = 0; step < run.stepsPerEpoch; step++) {
          optimizer.step(); // no grads: the parameters stay, the schedule still counts the step
          schedule.afterBatch();
          lrs.push(schedule.lr());
        }
        schedule.afterEpoch();
        lrs.push(schedule.lr());
      }
      return { lrs, label: schedule.label };
    };
    const param = () => [tensor([1, 2], { requiresGrad: true })];
    const total = run.epochs * run.stepsPerEpoch;

    const cosine = trace("cosine", new RMSprop(param(), { lr: 0.1 }));
    expect(cosine.label).toBe("CosineAnnealingLR(tMax 30 steps)");
    const perBatch = cosine.lrs.filter((_, i) => i % (run.stepsPerEpoch + 1) !== run.stepsPerEpoch);
    perBatch.forEach((lr, t) => expect(lr).toBeCloseTo((0.1 * (1 + Math.cos((Math.PI * (t + 1)) / total))) / 2, 12));
    expect(perBatch[total - 1]).toBeCloseTo(0, 15);

    const sgd = new SGD(param(), { lr: 0.1, momentum: 0.9 });
    const oneCycle = trace("onecycle", sgd);
    expect(oneCycle.label).toBe("OneCycleLR(maxLr 0.1, totalSteps 30)");
    expect(Math.max(...oneCycle.lrs)).toBeCloseTo(0.1, 12);
    // Down to initialLr / finalDivFactor at step totalSteps - 1; torch's last step (totalSteps,
    // allowed) anneals a little past the end, so the lr after it is just above that floor.
    expect(Math.min(...oneCycle.lrs)).toBeCloseTo(0.1 / 25 / 1e4, 15);
    expect(oneCycle.lrs.indexOf(Math.min(...oneCycle.lrs))).toBe(oneCycle.lrs.length - 3);
    // Momentum moves against the lr: back up to maxMomentum 0.95 (just under, past the end).
    expect(sgd.paramGroups[0].momentum).toBeGreaterThan(0.94);
    expect(sgd.paramGroups[0].momentum).toBeLessThanOrEqual(0.95);

    // RMSprop without momentum keeps it at 0: OneCycleLR cycles momentum only where it is used.
    const plain = new RMSprop(param(), { lr: 0.1 });
    trace("onecycle", plain);
    expect(plain.paramGroups[0].momentum).toBe(0);

    const step = trace("step", new RMSprop(param(), { lr: 0.1 }));
    expect(step.label).toBe("StepLR(stepSize 1 epoch, gamma 0.1)");
    const endOfEpoch = step.lrs.filter((_, i) => i % (run.stepsPerEpoch + 1) === run.stepsPerEpoch);
    endOfEpoch.forEach((lr, k) => expect(lr).toBeCloseTo(0.1 * 0.1 ** (k + 1), 15));
  });

  it("trainDigits drives a schedule per batch: cosine ends its run at lr 0", () => {
    const result = trainDigits({ epochs: 1, lr: 1e-3, batchSize: 64, seed: 0, optimizer: "adam", scheduler: "cosine" });
    expect(result.epochs[0].lr).toBeLessThan(1e-12);
  });
});

describe("choice flags", () => {
  afterEach(() => vi.restoreAllMocks());

  /** Runs parseFlags with process.exit and console.error caught: [exit code, message] or the result. */
  const parse = (argv: string[]) => {
    vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`exit ${String(code)}`);
    });
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((message: string) => void errors.push(message));
    const defaults = { epochs: 30, lr: 1e-3, batchSize: 32, seed: 0, out: "out" };
    const choices = {
      optimizer: { help: "h", values: OPTIMIZER_NAMES, default: "rmsprop", refused: minibatchRefusals() },
      optimizers: { help: "h", values: OPTIMIZER_NAMES, default: MINIBATCH_NAMES.join(","), list: true },
    };
    try {
      return parseFlags("digits", "", defaults, { choices }, argv);
    } catch (error) {
      return { exit: (error as Error).message, message: errors.join("\n") };
    }
  };

  it("gives each choice its default, says which standard flags were set, and splits lists", () => {
    const parsed = parse(["--optimizer", "adam", "--lr", "0.01", "--optimizers", "sgd, adam"]);
    expect(parsed).toMatchObject({ choices: { optimizer: "adam", optimizers: "sgd,adam" }, flags: { lr: 0.01, epochs: 30 } });
    expect("given" in parsed && [...parsed.given]).toEqual(["lr"]);
    expect(parse([])).toMatchObject({ choices: { optimizer: "rmsprop", optimizers: MINIBATCH_NAMES.join(",") } });
  });

  it("exits 2 on an unknown name, and names LBFGS's reason and the supported optimizers", () => {
    const unknown = parse(["--optimizer", "adamm"]);
    expect(unknown).toMatchObject({ exit: "exit 2" });
    expect("message" in unknown && unknown.message).toContain(`--optimizer expects one of ${OPTIMIZER_NAMES.join(", ")}, got "adamm"`);
    const lbfgs = parse(["--optimizer", "lbfgs"]);
    expect("message" in lbfgs && lbfgs.message).toMatch(/--optimizer lbfgs: LBFGS re-evaluates the loss .* supported: rmsprop, sgd/);
    const list = parse(["--optimizers", "sgd,nope"]);
    expect("message" in list && list.message).toContain('a comma-separated list of rmsprop');
  });
});

describe("plots", () => {
  it("a log axis ticks 1-2-5 per decade, and only decades past four of them", () => {
    expect(logTicks(0.05, 2)).toEqual([0.05, 0.1, 0.2, 0.5, 1, 2]);
    expect(logTicks(1e-6, 10)).toEqual([1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10]);
    const svg = lineChartSvg({
      title: "t", xLabel: "epoch", leftLabel: "loss", leftLog: true, legend: "outside",
      series: [{ name: "a", points: [[1, 2], [2, 0.1]], color: "red" }, { name: "b", points: [[1, 1], [2, 0]], color: "blue", dash: "7 4" }],
    });
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('stroke-dasharray="7 4"');
    expect(svg).toContain(">0.1</text>");
  });

  it("contour lines of a circle's distance lie on the circle", () => {
    const [{ segments }] = contourSegments((x, y) => x * x + y * y, [-2, 2], [-2, 2], [1], 80);
    expect(segments.length).toBeGreaterThan(100);
    for (const [ax, ay, bx, by] of segments) {
      expect(Math.abs(Math.hypot(ax, ay) - 1)).toBeLessThan(2e-3);
      expect(Math.abs(Math.hypot(bx, by) - 1)).toBeLessThan(2e-3);
    }
  });
});

describe("the example scripts on a tiny budget", () => {
  const tsx = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
  const examples = fileURLToPath(new URL("..", import.meta.url));
  const out = mkdtempSync(join(tmpdir(), "minigrad-examples-"));
  const run = (script: string, ...args: string[]) => {
    const result = spawnSync(tsx, [join("src", script), "--out", out, ...args], { cwd: examples, encoding: "utf8", env: { ...process.env, INIT_CWD: "" } });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    return result.stdout;
  };

  it("digits --optimizer adam --scheduler onecycle: prints the optimizer and each epoch's lr, no PyTorch comparison", () => {
    const stdout = run("digits.ts", "--epochs", "1", "--optimizer", "adam", "--scheduler", "onecycle");
    expect(stdout).toContain("optimizer Adam, lr 0.001, OneCycleLR(maxLr 0.001, totalSteps 45)");
    expect(stdout).toMatch(/epoch 1\/1 loss [\d.]+ \| train acc [\d.]+ \| test acc [\d.]+ \| [\d.]+ ms \| lr \d\.\d\de-\d/);
    expect(stdout).not.toContain("PyTorch");
    expect(checkPng(join(out, "digits-training.png"))).toEqual([1080, 660]);
  });

  it("digits with no optimizer flags prints the reference comparison as before", () => {
    const stdout = run("digits.ts", "--epochs", "1");
    expect(stdout).not.toContain("optimizer ");
    expect(stdout).toMatch(/test accuracy 0\.\d{3} \(PyTorch 1\.13 reference: 0\.975\)\nlast batch loss [\d.]+ \(PyTorch: 0\.044\)/);
    expect(stdout).toContain("(PyTorch 1.13, one thread: 7.3 ms per epoch)");
  });

  it("compare: one row per optimizer, from the same init, and one chart with a curve each", () => {
    const stdout = run("compare-optimizers.ts", "--epochs", "1");
    for (const name of MINIBATCH_NAMES) expect(stdout).toMatch(new RegExp(`\\n${OPTIMIZERS[name].label}\\s+${OPTIMIZERS[name].digitsLr}\\s+[\\d.]+\\s+[\\d.]+\\s+[\\d.]+`));
    const svg = readFileSync(join(out, "compare-optimizers.svg"), "utf8");
    expect(svg.match(/<polyline/g)).toHaveLength(MINIBATCH_NAMES.length);
    checkPng(join(out, "compare-optimizers.png"));
  });

  it("rosenbrock: every optimizer's path over contour lines, and a table of final points", () => {
    const stdout = run("rosenbrock.ts", "--epochs", "60");
    expect(stdout).toMatch(/\nLBFGS strong Wolfe\s+1\s+1\.0000\s+1\.0000\s/); // LBFGS is there within ~40 iterations
    expect(stdout).toMatch(/\nRMSprop\s+0\.003\s+-?[\d.]+\s+-?[\d.]+\s/);
    const svg = readFileSync(join(out, "rosenbrock.svg"), "utf8");
    expect(svg.match(/<polyline/g)).toHaveLength(OPTIMIZER_NAMES.length + 1);
    expect(svg).toContain(">256</text>");
    expect(checkPng(join(out, "rosenbrock.png"))).toEqual([1455, 660]);
  });
});
