/**
 * The Training panel: an MLP of @minigrad/nn learns a 2-D classification live; the decision
 * boundary (the model evaluated on a grid) and the loss curve are redrawn as it trains.
 */
import { Generator, noGrad, tensor, type Tensor } from "@minigrad/tensor";
import { GELU, Linear, ReLU, Sequential, Sigmoid, Tanh, functional as F, type Module } from "@minigrad/nn";
import { PALETTE, button, canvas, fmt, h, numberInput, select } from "../ui";
import { OPTIMIZERS, optimizerChoice, type AnyOptimizer } from "../optimizers/registry";
import { DATASETS, makeDataset, type Dataset, type DatasetName } from "./data";

const SIZE = 400;
const GRID = 80;
const RANGE = 1.5;
const ACTIVATIONS: Record<string, () => Module> = { tanh: () => new Tanh(), relu: () => new ReLU(), sigmoid: () => new Sigmoid(), gelu: () => new GELU() };
const CLASS_RGB = [[230, 25, 75], [60, 180, 75], [67, 99, 216]];

interface Run {
  data: Dataset;
  x: Tensor;
  y: Tensor;
  model: Sequential;
  opt: AnyOptimizer;
  losses: number[];
  accuracy: number;
}

export function trainingPanel(): HTMLElement {
  const dataset = select("data", DATASETS, "spirals", { "data-testid": "dataset" });
  const points = numberInput("points per class", 100, { min: 10, max: 500, size: 4, "data-testid": "points" });
  const noise = numberInput("noise", 0.04, { min: 0, max: 0.5, size: 4, "data-testid": "noise" });
  const hidden = h("input", { type: "text", value: "24, 24", size: 8, "data-testid": "hidden" });
  const activation = select("activation", Object.keys(ACTIVATIONS), "tanh", { "data-testid": "activation" });
  const trainable = OPTIMIZERS.filter((o) => o.closure !== true).map((o) => o.name);
  const optimizer = select("optimizer", trainable, "Adam", { "data-testid": "train-optimizer" });
  const lr = numberInput("lr", optimizerChoice("Adam").lr.training, { size: 6, "data-testid": "train-lr" });
  const speed = numberInput("steps per frame", 5, { min: 1, max: 100, size: 3, "data-testid": "train-speed" });
  const startBtn = button("start", { "data-testid": "train-start" });
  const resetBtn = button("reset", { "data-testid": "train-reset" });
  const board = canvas(SIZE, SIZE, { "data-testid": "boundary" });
  const curve = canvas(SIZE, 180, { "data-testid": "loss-curve" });
  const status = h("p", { class: "status", "data-testid": "train-status" });
  let run: Run | null = null;
  let running = false;

  const reset = () => {
    running = false;
    startBtn.textContent = "start";
    const data = makeDataset(dataset.input.value as DatasetName, Math.max(10, Math.min(500, Number(points.input.value) || 100)), Number(noise.input.value) || 0, 7);
    const sizes = [2, ...hidden.value.split(/[\s,]+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 0), data.classes];
    const g = new Generator(1);
    const layers: Module[] = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      layers.push(new Linear(sizes[i], sizes[i + 1], { generator: g }));
      if (i + 2 < sizes.length) layers.push((ACTIVATIONS[activation.input.value] ?? ACTIVATIONS.tanh)());
    }
    const model = new Sequential(...layers);
    const opt = optimizerChoice(optimizer.input.value).make([...model.parameters()], Number(lr.input.value));
    run = { data, x: tensor(data.x, { shape: [data.y.length, 2] }), y: tensor(data.y), model, opt, losses: [], accuracy: 0 };
    status.dataset.layers = sizes.join("-");
    evaluateAccuracy(run);
    draw();
  };

  const train = (n: number) => {
    if (run === null) return;
    const r = run;
    for (let k = 0; k < n; k++) {
      r.opt.zeroGrad();
      const loss = F.crossEntropy(r.model.forward(r.x), r.y);
      loss.backward();
      r.opt.step();
      r.losses.push(loss.item());
    }
    evaluateAccuracy(r);
    draw();
  };

  const draw = () => {
    if (run === null) return;
    drawBoundary(board.ctx, run);
    drawCurve(curve.ctx, run.losses);
    const last = run.losses.at(-1);
    status.textContent = `${status.dataset.layers} MLP, ${optimizer.input.value} lr ${lr.input.value}: step ${run.losses.length}, loss ${last === undefined ? "–" : fmt(last, 4)}, accuracy ${(run.accuracy * 100).toFixed(1)}%`;
    status.dataset.steps = String(run.losses.length);
    status.dataset.firstLoss = String(run.losses[0] ?? "");
    status.dataset.loss = String(last ?? "");
    status.dataset.accuracy = String(run.accuracy);
  };

  const frame = () => {
    if (!running) return;
    train(Math.max(1, Math.min(100, Number(speed.input.value) || 1)));
    requestAnimationFrame(frame);
  };

  startBtn.addEventListener("click", () => {
    running = !running;
    startBtn.textContent = running ? "pause" : "start";
    if (running) requestAnimationFrame(frame);
  });
  resetBtn.addEventListener("click", reset);
  optimizer.input.addEventListener("change", () => {
    lr.input.value = String(optimizerChoice(optimizer.input.value).lr.training);
    reset();
  });
  for (const el of [dataset.input, points.input, noise.input, hidden, activation.input, lr.input]) el.addEventListener("change", reset);
  queueMicrotask(reset);

  return h("section", { class: "panel", id: "training-panel" },
    h("p", { class: "intro" }, "An MLP (Linear layers of @minigrad/nn) learns to classify points generated in the page; full-batch cross entropy, one optimizer step per iteration."),
    h("div", { class: "controls" }, dataset.wrap, points.wrap, noise.wrap, h("label", { class: "field" }, "hidden layers ", hidden), activation.wrap),
    h("div", { class: "controls" }, optimizer.wrap, lr.wrap, speed.wrap, startBtn, resetBtn),
    status,
    h("div", { class: "columns" }, h("div", {}, board.el), h("div", {}, h("h3", {}, "loss"), curve.el)),
  );
}

function evaluateAccuracy(r: Run): void {
  noGrad(() => {
    const pred = r.model.forward(r.x).argmax(1).toTypedArray();
    let right = 0;
    for (let i = 0; i < pred.length; i++) if (pred[i] === r.data.y[i]) right++;
    r.accuracy = right / pred.length;
  });
}

function drawBoundary(ctx: CanvasRenderingContext2D, r: Run): void {
  const grid = new Float32Array(GRID * GRID * 2);
  for (let i = 0; i < GRID; i++) {
    for (let j = 0; j < GRID; j++) {
      grid[2 * (i * GRID + j)] = -RANGE + ((j + 0.5) / GRID) * 2 * RANGE;
      grid[2 * (i * GRID + j) + 1] = RANGE - ((i + 0.5) / GRID) * 2 * RANGE;
    }
  }
  const probs = noGrad(() => r.model.forward(tensor(grid, { shape: [GRID * GRID, 2] })).softmax(1).toTypedArray());
  const cell = SIZE / GRID;
  const k = r.data.classes;
  for (let i = 0; i < GRID * GRID; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c;
    const [cr, cg, cb] = CLASS_RGB[best];
    const a = 0.15 + 0.45 * (probs[i * k + best] - 1 / k) / (1 - 1 / k);
    ctx.fillStyle = `rgb(${255 - (255 - cr) * a}, ${255 - (255 - cg) * a}, ${255 - (255 - cb) * a})`;
    ctx.fillRect((i % GRID) * cell, Math.floor(i / GRID) * cell, cell + 0.5, cell + 0.5);
  }
  const { x, y } = r.data;
  for (let i = 0; i < y.length; i++) {
    const px = ((x[2 * i] + RANGE) / (2 * RANGE)) * SIZE;
    const py = ((RANGE - x[2 * i + 1]) / (2 * RANGE)) * SIZE;
    ctx.fillStyle = PALETTE[y[i]];
    ctx.strokeStyle = "#fff";
    ctx.beginPath();
    ctx.arc(px, py, 3, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
}

function drawCurve(ctx: CanvasRenderingContext2D, losses: readonly number[]): void {
  const w = SIZE, hgt = 180, pad = 30;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, hgt);
  ctx.strokeStyle = "#ccc";
  ctx.strokeRect(pad, 5, w - pad - 5, hgt - pad);
  if (losses.length === 0) return;
  const top = Math.max(...losses);
  ctx.fillStyle = "#555";
  ctx.font = "11px sans-serif";
  ctx.fillText(fmt(top, 3), 2, 14);
  ctx.fillText("0", 18, hgt - pad + 4);
  ctx.fillText(`${losses.length} steps`, w - 70, hgt - 8);
  ctx.strokeStyle = "#4363d8";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  losses.forEach((l, i) => {
    const px = pad + (i / Math.max(1, losses.length - 1)) * (w - pad - 5);
    const py = 5 + (1 - l / top) * (hgt - pad);
    if (i === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  });
  ctx.stroke();
}
