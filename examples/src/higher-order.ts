/**
 * Gradients of gradients, in three small demonstrations:
 *  1. Newton's method on a 2-D function, each step solving H d = -g with the Hessian from
 *     `autograd.functional.hessian`, next to plain gradient descent from the same start;
 *  2. a gradient penalty (WGAN-GP style) on a tiny MLP: the penalty (|d out / d x| - 1)^2 is
 *     a function of a gradient, so training it differentiates the backward pass itself
 *     (`autograd.grad(..., { createGraph: true })`);
 *  3. the double-backward graph of y = tanh(w x) exported as Graphviz DOT and Mermaid.
 *
 *   npx pnpm@10 --filter @minigrad/examples higher-order -- --epochs 200
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Linear, Module } from "@minigrad/nn";
import { Adam } from "@minigrad/optim";
import { Generator, autograd, exportGraph, randn, tensor, type Tensor } from "@minigrad/tensor";
import { parseTrainFlags } from "./lib/cli";

const flags = parseTrainFlags("higher-order", "Newton's method, a gradient penalty and a double-backward graph.", {
  epochs: 200, lr: 1e-2, batchSize: 32, seed: 0, out: "out",
});
const F = autograd.functional;
const f64 = (v: number[]) => tensor(v, { dtype: "float64" });

// 1. Newton's method: f(x, y) = (x - 1)^4 + 3 (x - 1)^2 + 10 (y + 2)^2 + x y, from (3, 3).
const f = (p: Tensor) => {
  const x = p.select(0, 0), y = p.select(0, 1);
  return x.sub(1).pow(4).add(x.sub(1).pow(2).mul(3)).add(y.add(2).pow(2).mul(10)).add(x.mul(y));
};
console.log("1. Newton's method with autograd.functional.hessian, f(x, y) = (x-1)^4 + 3(x-1)^2 + 10(y+2)^2 + xy");
let newton = f64([3, 3]);
let descent = f64([3, 3]);
for (let step = 1; step <= 8; step++) {
  const H = (F.hessian(f, newton) as Tensor).toArray() as number[][];
  const g = (F.vjp(f, newton)[1] as Tensor).toArray() as number[];
  const [[a, b], [c, d]] = H, det = a * d - b * c;
  const [x, y] = newton.toArray() as number[];
  newton = f64([x - (d * g[0] - b * g[1]) / det, y - (a * g[1] - c * g[0]) / det]);
  for (let k = 0; k < 10; k++) {
    const gd = (F.vjp(f, descent)[1] as Tensor).toArray() as number[];
    const [u, v] = descent.toArray() as number[];
    descent = f64([u - 0.02 * gd[0], v - 0.02 * gd[1]]);
  }
  const fmt = (p: Tensor) => (p.toArray() as number[]).map((v) => v.toFixed(6)).join(", ");
  console.log(
    `  step ${step}: Newton (${fmt(newton)}) f = ${f(newton).item().toFixed(9)}   ` +
      `gradient descent after ${10 * step} steps (${fmt(descent)}) f = ${f(descent).item().toFixed(9)}`,
  );
}

// 2. A gradient penalty on a tiny MLP 2 -> 16 -> 1 (float64): push |d out / d x| towards 1 at random points.
class Critic extends Module {
  readonly l1: Linear;
  readonly l2: Linear;
  constructor(generator: Generator) {
    super();
    this.l1 = new Linear(2, 16, { dtype: "float64", generator });
    this.l2 = new Linear(16, 1, { dtype: "float64", generator });
  }
  forward(x: Tensor): Tensor {
    return this.l2.forward(this.l1.forward(x).tanh());
  }
}
const generator = new Generator(flags.seed);
const critic = new Critic(generator);
const optimizer = new Adam(critic.parameters(), { lr: flags.lr });
const penaltyAt = (x: Tensor): Tensor => {
  const out = critic.forward(x).sum(); // the rows are independent: d sum / d x_i = d out_i / d x_i
  const [gx] = autograd.grad(out, x, { createGraph: true });
  const norms = gx!.mul(gx!).sum(1).sqrt(); // one gradient norm per point
  return norms.sub(1).pow(2).mean();
};
console.log(`\n2. Gradient penalty (|d critic / d x| - 1)^2 on a 2-16-1 MLP, Adam lr ${flags.lr}, ${flags.epochs} steps of ${flags.batchSize} points`);
const evalPoints = randn([256, 2], { dtype: "float64", generator, requiresGrad: true });
console.log(`  penalty before: ${penaltyAt(evalPoints).item().toFixed(6)}`);
for (let step = 1; step <= flags.epochs; step++) {
  const x = randn([flags.batchSize, 2], { dtype: "float64", generator, requiresGrad: true });
  optimizer.zeroGrad();
  const penalty = penaltyAt(x);
  penalty.backward(); // through the recorded backward of the critic: second derivatives
  optimizer.step();
  if (step % Math.max(1, Math.floor(flags.epochs / 4)) === 0) console.log(`  step ${step}: penalty ${penalty.item().toFixed(6)}`);
}
const after = penaltyAt(evalPoints).item();
console.log(`  penalty after: ${after.toFixed(6)} (on the same 256 held-out points)`);

// 3. The graph of a gradient: dy/dw of y = tanh(w x), recorded with createGraph, then its own graph.
const w = tensor(0.5, { dtype: "float64", requiresGrad: true });
const x0 = tensor(2, { dtype: "float64" });
const [dydw] = autograd.grad(w.mul(x0).tanh(), w, { createGraph: true });
const [d2ydw2] = autograd.grad(dydw!, w);
console.log(`\n3. y = tanh(w x) at w = 0.5, x = 2: dy/dw = ${dydw!.item().toFixed(9)}, d2y/dw2 = ${d2ydw2!.item().toFixed(9)}`);
const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), flags.out);
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "higher-order.dot"), exportGraph(dydw!, { format: "dot", names: { w } }) + "\n");
const mermaid = exportGraph(dydw!, { format: "mermaid", names: { w } });
writeFileSync(join(outDir, "higher-order.mmd"), mermaid + "\n");
console.log(`  the graph of dy/dw (Mermaid; DOT in ${join(outDir, "higher-order.dot")}):\n${mermaid}`);
