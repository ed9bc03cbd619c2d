/**
 * RMSprop on the Rosenbrock function f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, whose
 * minimum (1, 1) lies at the end of a long curved valley. Gradients come from autograd.
 * Three variants start from the same point; the trajectories are printed and drawn
 * over the function's contours.
 *
 *   npx pnpm@10 --filter @minigrad/examples rosenbrock -- --epochs 2000 --lr 1e-3
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { RMSprop, type RMSpropOptions } from "@minigrad/optim";
import { tensor, type Tensor } from "@minigrad/tensor";
import { parseTrainFlags } from "./lib/cli";
import { contourSvg } from "./lib/plot";
import { writePng } from "./lib/png";

const flags = parseTrainFlags("rosenbrock", "Minimize the Rosenbrock function with three RMSprop variants.", {
  epochs: 2000, lr: 1e-3, batchSize: 1, seed: 0, out: "out",
});
const steps = flags.epochs; // one optimizer step per "epoch": there is no data set here
const start = [-1.5, 2];

/** f(p) for p = [x, y], written with tensor ops so autograd gives the gradient. */
function rosenbrock(p: Tensor): Tensor {
  const x = p.select(0, 0);
  const y = p.select(0, 1);
  return x.neg().add(1).pow(2).add(y.sub(x.mul(x)).pow(2).mul(100));
}

const variants: { name: string; options: RMSpropOptions; color: string }[] = [
  { name: "RMSprop", options: { lr: flags.lr }, color: "#d62728" },
  { name: "RMSprop momentum 0.9", options: { lr: flags.lr, momentum: 0.9 }, color: "#2ca02c" },
  { name: "RMSprop centered + momentum 0.9", options: { lr: flags.lr, momentum: 0.9, centered: true }, color: "#9467bd" },
];

const paths = variants.map(({ name, options, color }) => {
  const p = tensor(start, { dtype: "float64", requiresGrad: true });
  const optimizer = new RMSprop([p], options);
  const points: [number, number][] = [[start[0], start[1]]];
  console.log(`\n${name}`);
  for (let k = 1; k <= steps; k++) {
    optimizer.zeroGrad();
    const loss = rosenbrock(p);
    loss.backward();
    optimizer.step();
    const [x, y] = p.toArray() as number[];
    points.push([x, y]);
    if (k === 1 || k % Math.max(1, Math.floor(steps / 10)) === 0 || k === steps) {
      console.log(`  step ${String(k).padStart(5)}  x ${x.toFixed(4).padStart(8)}  y ${y.toFixed(4).padStart(8)}  f ${loss.item().toExponential(3)}`);
    }
  }
  const [x, y] = points[points.length - 1];
  console.log(`  distance to the minimum (1, 1): ${Math.hypot(x - 1, y - 1).toFixed(4)}`);
  return { name, points, color };
});

const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), flags.out);
mkdirSync(outDir, { recursive: true });
const svgPath = join(outDir, "rosenbrock.svg");
const svg = contourSvg({
    title: `RMSprop on Rosenbrock, lr ${flags.lr}, ${steps} steps from (${start.join(", ")})`,
    f: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    xRange: [-2, 2],
    yRange: [-1, 3],
    paths,
    marks: [{ x: 1, y: 1, label: "minimum (1, 1)" }, { x: start[0], y: start[1], label: "start" }],
  });
writeFileSync(svgPath, svg);
const pngPath = await writePng(svgPath, svg);
console.log(`\nplot written to ${svgPath}${pngPath ? ` and ${pngPath}` : ""}`);
