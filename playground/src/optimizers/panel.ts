/**
 * The Optimizers panel: optimizers of @minigrad/optim race over a 2-D loss from the same
 * start, their paths drawn over the contours, and one of them explained: each update
 * written out with its numbers (the gradient, the state before and after, the step).
 */
import { tensor, type Tensor } from "@minigrad/tensor";
import { PALETTE, button, canvas, fmt, h, numberInput, select } from "../ui";
import { LOSSES, type Loss2D } from "./losses";
import { OPTIMIZERS, type AnyOptimizer, type OptimizerChoice } from "./registry";

const W = 520;
const H = 440;

interface Runner {
  choice: OptimizerChoice;
  color: string;
  lr: number;
  p: Tensor;
  opt: AnyOptimizer;
  path: [number, number][];
  loss: number;
  steps: number;
  /** the last update, written out */
  last: HTMLElement | null;
  row: HTMLTableRowElement;
}

export function optimizersPanel(): HTMLElement {
  const lossSelect = select("loss", LOSSES.map((l) => l.name), "Rosenbrock", { "data-testid": "loss" });
  const speed = numberInput("steps per frame", 2, { min: 1, max: 50, size: 3, "data-testid": "speed" });
  const startBtn = button("start", { "data-testid": "race-start" });
  const step10 = button("10 steps", { "data-testid": "race-step10" });
  const resetBtn = button("reset", { "data-testid": "race-reset" });
  const formula = h("p", { class: "formula", "data-testid": "loss-formula" });
  const picks = h("div", { class: "picks" });
  const lrInputs = new Map<string, HTMLInputElement>();
  const checks = new Map<string, HTMLInputElement>();
  for (const [i, o] of OPTIMIZERS.entries()) {
    const check = h("input", { type: "checkbox", checked: o.race, "data-testid": `pick-${o.name}` });
    const lr = h("input", { type: "number", step: "any", value: o.lr.Rosenbrock, size: 6, "data-testid": `lr-${o.name}` });
    checks.set(o.name, check);
    lrInputs.set(o.name, lr);
    picks.append(h("label", { class: "pick", style: `border-left: 6px solid ${PALETTE[i % PALETTE.length]}` }, check, ` ${o.name} `,
      h("span", { class: "small" }, o.options), " lr ", lr));
  }
  const explainSelect = select("write out the updates of", OPTIMIZERS.map((o) => o.name), "RMSprop", { "data-testid": "explain" });
  const plot = canvas(W, H, { "data-testid": "contour" });
  const table = h("table", { class: "numbers", "data-testid": "race-table" });
  const explain = h("div", { class: "explain", "data-testid": "update" });
  let background: ImageData | null = null;
  let runners: Runner[] = [];
  let running = false;
  let loss: Loss2D = LOSSES[0];

  const toPx = (x: number, y: number): [number, number] => {
    const [x0, x1, y0, y1] = loss.region;
    return [((x - x0) / (x1 - x0)) * W, H - ((y - y0) / (y1 - y0)) * H];
  };

  const reset = () => {
    running = false;
    startBtn.textContent = "start";
    loss = LOSSES.find((l) => l.name === lossSelect.input.value) ?? LOSSES[0];
    formula.textContent = `f(x, y) = ${loss.formula}; start (${loss.start.join(", ")})`;
    background = contours(plot.ctx, loss, W, H);
    table.replaceChildren(h("tr", {}, h("th", {}, "optimizer"), h("th", {}, "lr"), h("th", {}, "steps"), h("th", {}, "x"), h("th", {}, "y"), h("th", {}, "f(x, y)")));
    runners = OPTIMIZERS.flatMap((choice, i) => {
      if (checks.get(choice.name)?.checked !== true) return [];
      const lr = Number(lrInputs.get(choice.name)?.value);
      const p = tensor(loss.start, { requiresGrad: true });
      const row = h("tr", { "data-testid": `race-${choice.name}` });
      table.append(row);
      const r: Runner = { choice, color: PALETTE[i % PALETTE.length], lr, p, opt: choice.make([p], lr), path: [[...loss.start]], loss: loss.f(...loss.start), steps: 0, last: null, row };
      return [r];
    });
    explain.replaceChildren(h("p", { class: "small" }, "Run a step to see the update written out."));
    draw();
  };

  /** One step of one optimizer: the closure computes f and its gradient with minigrad. */
  const stepRunner = (r: Runner) => {
    const before = snapshot(r);
    const closure = () => {
      r.opt.zeroGrad();
      const l = loss.tensor(r.p);
      l.backward();
      return l;
    };
    let g: number[] = [];
    if (r.choice.closure === true) {
      r.opt.step(() => {
        const l = closure();
        if (g.length === 0) g = Array.from(r.p.grad?.toTypedArray() ?? []);
        return l;
      });
    } else {
      const l = closure();
      g = Array.from(r.p.grad?.toTypedArray() ?? []);
      r.loss = l.item();
      r.opt.step();
    }
    const [x, y] = r.p.toTypedArray();
    r.path.push([x, y]);
    r.steps++;
    r.loss = loss.f(x, y);
    if (r.choice.name === explainSelect.input.value) r.last = writeOut(r, before, g);
  };

  const steps = (n: number) => {
    for (let k = 0; k < n; k++) for (const r of runners) if (Number.isFinite(r.loss) && r.steps < 5000) stepRunner(r);
    draw();
  };

  const draw = () => {
    const ctx = plot.ctx;
    if (background !== null) ctx.putImageData(background, 0, 0);
    for (const m of loss.minima) {
      const [px, py] = toPx(...m);
      ctx.fillStyle = "#fff";
      ctx.strokeStyle = "#000";
      ctx.beginPath();
      ctx.arc(px, py, 5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    for (const r of runners) {
      ctx.strokeStyle = r.color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      r.path.forEach(([x, y], i) => {
        const [px, py] = toPx(x, y);
        if (i === 0) ctx.moveTo(px, py);
        else ctx.lineTo(px, py);
      });
      ctx.stroke();
      const [x, y] = r.path[r.path.length - 1];
      const [px, py] = toPx(x, y);
      ctx.fillStyle = r.color;
      ctx.beginPath();
      ctx.arc(px, py, 4, 0, 2 * Math.PI);
      ctx.fill();
      r.row.replaceChildren(h("td", {}, h("span", { class: "swatch", style: `background:${r.color}` }), ` ${r.choice.name}`), h("td", {}, fmt(r.lr)),
        h("td", {}, String(r.steps)), h("td", {}, fmt(x, 5)), h("td", {}, fmt(y, 5)), h("td", {}, fmt(r.loss, 5)));
      r.row.dataset.x = String(x);
      r.row.dataset.y = String(y);
      r.row.dataset.loss = String(r.loss);
      r.row.dataset.steps = String(r.steps);
    }
    const shown = runners.find((r) => r.choice.name === explainSelect.input.value);
    if (shown?.last != null) explain.replaceChildren(shown.last);
  };

  const frame = () => {
    if (!running) return;
    steps(Math.max(1, Math.min(50, Number(speed.input.value) || 1)));
    if (runners.every((r) => r.steps >= 5000 || !Number.isFinite(r.loss))) {
      running = false;
      startBtn.textContent = "start";
      return;
    }
    requestAnimationFrame(frame);
  };

  startBtn.addEventListener("click", () => {
    running = !running;
    startBtn.textContent = running ? "pause" : "start";
    if (running) requestAnimationFrame(frame);
  });
  step10.addEventListener("click", () => steps(10));
  resetBtn.addEventListener("click", reset);
  lossSelect.input.addEventListener("change", () => {
    const key = lossSelect.input.value as keyof OptimizerChoice["lr"];
    for (const o of OPTIMIZERS) {
      const input = lrInputs.get(o.name);
      if (input !== undefined) input.value = String(o.lr[key]);
    }
    reset();
  });
  for (const el of [...checks.values(), ...lrInputs.values()]) el.addEventListener("change", reset);
  explainSelect.input.addEventListener("change", () => {
    explain.replaceChildren(h("p", { class: "small" }, `The next step of ${explainSelect.input.value} is written out here (tick it above if it is not racing).`));
  });
  queueMicrotask(reset);

  return h("section", { class: "panel", id: "optimizers-panel" },
    h("p", { class: "intro" }, "Optimizers from @minigrad/optim start from the same point; each step, minigrad computes f and its gradient (backward), then the optimizer updates (x, y)."),
    h("div", { class: "controls" }, lossSelect.wrap, speed.wrap, startBtn, step10, resetBtn),
    formula,
    picks,
    h("div", { class: "columns" }, h("div", {}, plot.el), h("div", {}, table, explainSelect.wrap, explain)),
  );
}

/** A number as an operand in a formula: negative ones in parentheses. */
const op = (x: number, digits = 6) => (x < 0 ? `(${fmt(x, digits)})` : fmt(x, digits));

interface Snapshot {
  p: number[];
  state: Record<string, number[] | number>;
}

function snapshot(r: Runner): Snapshot {
  return { p: Array.from(r.p.toTypedArray()), state: stateOf(r) };
}

function stateOf(r: Runner): Record<string, number[] | number> {
  const st = r.opt.state.get(r.p) as Record<string, unknown> | undefined;
  const out: Record<string, number[] | number> = {};
  for (const [k, v] of Object.entries(st ?? {})) {
    if (typeof v === "number") out[k] = v;
    else if (v !== null && typeof v === "object" && "toTypedArray" in v && typeof v.toTypedArray === "function") {
      const t = v as Tensor;
      if (t.numel === 2) out[k] = Array.from(t.toTypedArray());
    }
  }
  return out;
}

/** The update just made, with its numbers: per coordinate for RMSprop, Adam and SGD; the state otherwise. */
function writeOut(r: Runner, before: Snapshot, g: number[]): HTMLElement {
  const after = stateOf(r);
  const p = Array.from(r.p.toTypedArray());
  const group = r.opt.paramGroups[0] as unknown as Record<string, unknown>;
  const num = (k: string) => Number(group[k]);
  const lr = num("lr");
  const rows: (HTMLElement | string)[] = [];
  const coord = ["x", "y"];
  const vec = (k: string, s: Record<string, number[] | number>, i: number) => {
    const v = s[k];
    return Array.isArray(v) ? v[i] : 0;
  };
  for (let i = 0; i < 2; i++) {
    const c = coord[i];
    const lines: string[] = [`g = ∂f/∂${c} = ${fmt(g[i], 6)}`];
    const name = r.choice.name;
    if (name === "RMSprop") {
      const a = num("alpha"), eps = num("eps");
      const v0 = vec("squareAvg", before.state, i), v = vec("squareAvg", after, i);
      const d = Math.sqrt(v) + eps;
      lines.push(
        `v = α·v + (1 − α)·g² = ${a}·${op(v0)} + ${fmt(1 - a, 3)}·${op(g[i])}² = ${fmt(v, 6)}`,
        `√v + ε = ${fmt(d, 6)}`,
        `step = lr·g / (√v + ε) = ${lr}·${op(g[i])} / ${op(d)} = ${fmt((lr * g[i]) / d, 6)}`,
      );
    } else if (name === "Adam" || name === "AdamW") {
      const [b1, b2] = group.betas as [number, number];
      const eps = num("eps");
      const t = Number(after.step);
      const m = vec("expAvg", after, i), v = vec("expAvgSq", after, i);
      const mh = m / (1 - b1 ** t), vh = v / (1 - b2 ** t);
      lines.push(
        `m = β₁·m + (1 − β₁)·g = ${b1}·${op(vec("expAvg", before.state, i))} + ${fmt(1 - b1, 3)}·${op(g[i])} = ${fmt(m, 6)}`,
        `v = β₂·v + (1 − β₂)·g² = ${fmt(v, 6)}`,
        `m̂ = m / (1 − β₁^${t}) = ${fmt(mh, 6)},  v̂ = v / (1 − β₂^${t}) = ${fmt(vh, 6)}`,
        `step = lr·m̂ / (√v̂ + ε) = ${fmt((lr * mh) / (Math.sqrt(vh) + eps), 6)}${name === "AdamW" ? `, after decay ${c} ← ${c}·(1 − lr·λ)` : ""}`,
      );
    } else if (name.startsWith("SGD") && after.momentumBuffer !== undefined) {
      const mu = num("momentum");
      const b = vec("momentumBuffer", after, i);
      lines.push(
        `b = μ·b + g = ${mu}·${op(vec("momentumBuffer", before.state, i))} + ${op(g[i])} = ${fmt(b, 6)}`,
        name === "SGD Nesterov" ? `step = lr·(g + μ·b) = ${fmt(lr * (g[i] + mu * b), 6)}` : `step = lr·b = ${fmt(lr * b, 6)}`,
      );
    } else if (name === "SGD") {
      lines.push(`step = lr·g = ${lr}·${op(g[i])} = ${fmt(lr * g[i], 6)}`);
    } else {
      for (const [k, v] of Object.entries(after)) {
        if (Array.isArray(v)) lines.push(`${k}: ${fmt(vec(k, before.state, i), 6)} → ${fmt(v[i], 6)}`);
      }
    }
    lines.push(`${c} ← ${fmt(before.p[i], 7)} − ${op(before.p[i] - p[i])} = ${fmt(p[i], 7)}  (minigrad's new ${c})`);
    rows.push(h("div", { class: "coord", "data-testid": `update-${c}`, "data-new": p[i], "data-grad": g[i] }, h("strong", {}, c), h("pre", {}, lines.join("\n"))));
  }
  const step = typeof after.step === "number" ? after.step : r.steps;
  return h("div", { "data-testid": "update-body", "data-step": r.steps },
    h("p", {}, h("strong", {}, r.choice.name), ` step ${step} (lr ${fmt(lr)}):`), ...rows);
}

/** The loss over the region as colour bands on a log scale, with the band edges darkened: contour lines. */
function contours(ctx: CanvasRenderingContext2D, loss: Loss2D, w: number, h: number): ImageData {
  const [x0, x1, y0, y1] = loss.region;
  const scale = devicePixelRatio;
  const pw = Math.round(w * scale), ph = Math.round(h * scale);
  const image = ctx.createImageData(pw, ph);
  const fmin = Math.min(...loss.minima.map(([x, y]) => loss.f(x, y)));
  const level = (px: number, py: number) => {
    const x = x0 + ((px + 0.5) / pw) * (x1 - x0);
    const y = y1 - ((py + 0.5) / ph) * (y1 - y0);
    return Math.log1p(Math.max(0, loss.f(x, y) - fmin)) * 2.2;
  };
  const levels = new Float64Array(pw * ph);
  for (let py = 0; py < ph; py++) for (let px = 0; px < pw; px++) levels[py * pw + px] = level(px, py);
  let top = 0;
  for (const l of levels) if (Number.isFinite(l) && l > top) top = l;
  for (let py = 0; py < ph; py++) {
    for (let px = 0; px < pw; px++) {
      const i = py * pw + px;
      const l = levels[i];
      const t = Math.min(1, l / top);
      const band = Math.floor(l);
      const edge = (px + 1 < pw && Math.floor(levels[i + 1]) !== band) || (py + 1 < ph && Math.floor(levels[i + pw]) !== band);
      const shade = edge ? 0.75 : 1;
      image.data[4 * i] = (250 - 120 * t) * shade;
      image.data[4 * i + 1] = (250 - 60 * t) * shade;
      image.data[4 * i + 2] = (255 - 10 * t) * shade;
      image.data[4 * i + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
  return image;
}
