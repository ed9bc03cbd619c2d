/**
 * Several optimizers on the Rosenbrock function f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, whose
 * minimum (1, 1) lies at the end of a long curved valley. Gradients come from autograd.
 * Every optimizer starts from the same point with its own lr (lib/optimizers.ts, or `--lr`
 * for all); the paths are drawn over the function's contour lines and the final points
 * printed as a table.
 *
 *   npx pnpm@10 --filter @minigrad/examples rosenbrock -- --epochs 2000
 *   npx pnpm@10 --filter @minigrad/examples rosenbrock -- --optimizers rmsprop,adam --lr 1e-2
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tensor, type Tensor } from "@minigrad/tensor";
import { parseFlags } from "./lib/cli";
import { PATH_OPTIMIZERS, PATH_OPTIMIZER_NAMES, isPathOptimizerName } from "./lib/optimizers";
import { PALETTE, contourSvg } from "./lib/plot";
import { writePng } from "./lib/png";

const ownLrs = PATH_OPTIMIZER_NAMES.map((n) => `${n} ${PATH_OPTIMIZERS[n].rosenbrockLr}`).join(", ");
const parsed = parseFlags(
  "rosenbrock",
  "Minimize the Rosenbrock function with several optimizers from the same start.",
  { epochs: 2000, lr: 1e-3, batchSize: 1, seed: 0, out: "out" },
  {
    help: {
      epochs: "optimizer steps (default 2000)",
      lr: `one learning rate for every optimizer (default: each one's own, ${ownLrs})`,
      batchSize: "unused: there is no data set (default 1)",
      seed: "unused: the start is fixed (default 0)",
    },
    choices: {
      optimizers: {
        help: "comma-separated optimizers", values: PATH_OPTIMIZER_NAMES, default: PATH_OPTIMIZER_NAMES.join(","), list: true,
      },
    },
  },
);
const { flags, given } = parsed;
const names = parsed.choices.optimizers.split(",").filter(isPathOptimizerName);
const steps = flags.epochs; // one optimizer step per "epoch": there is no data set here
const start = [-1.5, 2];

/** f(p) for p = [x, y], written with tensor ops so autograd gives the gradient. */
function rosenbrock(p: Tensor): Tensor {
  const x = p.select(0, 0);
  const y = p.select(0, 1);
  return x.neg().add(1).pow(2).add(y.sub(x.mul(x)).pow(2).mul(100));
}
const f = (x: number, y: number) => (1 - x) ** 2 + 100 * (y - x * x) ** 2;

const runs = names.map((name, i) => {
  const entry = PATH_OPTIMIZERS[name];
  const lr = given.has("lr") ? flags.lr : entry.rosenbrockLr;
  const p = tensor(start, { dtype: "float64", requiresGrad: true });
  const optimizer = entry.create([p], lr);
  const points: [number, number][] = [[start[0], start[1]]];
  // The closure form every optimizer takes: LBFGS calls it several times per step (its line
  // search), the others once.
  let evaluations = 0;
  const closure = () => {
    evaluations++;
    optimizer.zeroGrad();
    const loss = rosenbrock(p);
    loss.backward();
    return loss;
  };
  // The first step at which the path came within 0.01 of the minimum, and the evaluations of
  // f it took (-1: it did not).
  let reached = -1;
  let evaluationsThen = -1;
  for (let k = 1; k <= steps; k++) {
    optimizer.step(closure);
    const [x, y] = p.toArray() as number[];
    points.push([x, y]);
    if (reached < 0 && Math.hypot(x - 1, y - 1) < 0.01) [reached, evaluationsThen] = [k, evaluations];
  }
  return {
    name: `${entry.label}, lr ${lr}`, points, color: PALETTE[i % PALETTE.length],
    lr, label: entry.label, reached, evaluationsThen,
  };
});

console.log(`rosenbrock: ${steps} steps from (${start.join(", ")}); the minimum is f(1, 1) = 0`);
const header = ["optimizer", "lr", "x", "y", "f(x, y)", "distance to (1, 1)", "within 0.01 at step", "evaluations of f by then"];
const cells = runs.map((r) => {
  const [x, y] = r.points[r.points.length - 1];
  return [
    r.label, String(r.lr), x.toFixed(4), y.toFixed(4), f(x, y).toExponential(3), Math.hypot(x - 1, y - 1).toFixed(4),
    r.reached < 0 ? "-" : String(r.reached), r.reached < 0 ? "-" : String(r.evaluationsThen),
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ");
console.log(line(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
cells.forEach((c) => console.log(line(c)));

const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), flags.out);
mkdirSync(outDir, { recursive: true });
const svgPath = join(outDir, "rosenbrock.svg");
const svg = contourSvg({
  title: `${runs.length} optimizers on Rosenbrock, ${steps} steps from (${start.join(", ")})`,
  f,
  xRange: [-2, 2],
  yRange: [-1, 3],
  levels: [1, 4, 16, 64, 256, 1024],
  paths: runs,
  marks: [{ x: 1, y: 1, label: "minimum (1, 1)" }, { x: start[0], y: start[1], label: "start" }],
});
writeFileSync(svgPath, svg);
const pngPath = await writePng(svgPath, svg);
console.log(`\nplot written to ${svgPath}${pngPath ? ` and ${pngPath}` : ""}`);
