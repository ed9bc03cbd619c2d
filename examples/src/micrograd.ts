/**
 * A teaching walk-through in the spirit of micrograd:
 *  1. build a small expression out of scalars and run backward;
 *  2. print every node's value and gradient, with the chain rule that gives it;
 *  3. export the autograd graph as Graphviz DOT and Mermaid;
 *  4. do one RMSprop step by hand and check that `optimizer.step()` gives the same numbers.
 *
 *   npx pnpm@10 --filter @minigrad/examples micrograd -- --lr 0.1
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { RMSprop } from "@minigrad/optim";
import { exportGraph, tensor, type Tensor } from "@minigrad/tensor";
import { parseTrainFlags } from "./lib/cli";

const flags = parseTrainFlags("micrograd", "Walk through autograd and one RMSprop step on a tiny expression.", {
  epochs: 1, lr: 0.1, batchSize: 1, seed: 0, out: "out",
});

// 1. L = (a * b + c) * f, as in micrograd's README. float64, so the printed numbers are exact.
const scalar = (v: number) => tensor(v, { dtype: "float64", requiresGrad: true });
const a = scalar(2);
const b = scalar(-3);
const c = scalar(10);
const f = scalar(-2);
const e = a.mul(b).retainGrad(); // retainGrad: keep .grad on intermediate (non-leaf) nodes too
const d = e.add(c).retainGrad();
const L = d.mul(f).retainGrad();
L.backward();

// 2. Values and gradients. dL/dx for each node, by the chain rule from the output down.
const show = (name: string, t: Tensor, why: string) =>
  console.log(`${name.padEnd(2)} value ${String(t.item()).padStart(4)}   grad ${String(t.grad?.item()).padStart(4)}   ${why}`);
console.log("L = (a*b + c) * f\n");
show("L", L, "dL/dL = 1");
show("f", f, "dL/df = d = a*b + c");
show("d", d, "dL/dd = f");
show("c", c, "dL/dc = dL/dd * 1");
show("e", e, "dL/de = dL/dd * 1");
show("a", a, "dL/da = dL/de * b");
show("b", b, "dL/db = dL/de * a");

// 3. The graph autograd recorded, from the output back to the leaves.
const outDir = resolve(process.env.INIT_CWD ?? process.cwd(), flags.out);
mkdirSync(outDir, { recursive: true });
const names = { a, b, c, f };
writeFileSync(join(outDir, "micrograd.dot"), exportGraph(L, { format: "dot", names }) + "\n");
const mermaid = exportGraph(L, { format: "mermaid", names });
writeFileSync(join(outDir, "micrograd.mmd"), mermaid + "\n");
console.log(`\nautograd graph (Mermaid; Graphviz DOT in ${join(outDir, "micrograd.dot")}):\n${mermaid}`);

// 4. One RMSprop step on (a, b), by hand and by the optimizer.
//    v = alpha*v + (1 - alpha)*g^2   (v starts at 0)
//    p = p - lr * g / (sqrt(v) + eps)  (eps after the square root, as PyTorch)
const lr = flags.lr;
const alpha = 0.99;
const eps = 1e-8;
const byHand = [a, b].map((p) => {
  const g = p.grad?.item() ?? 0;
  const v = (1 - alpha) * g * g;
  return p.item() - (lr * g) / (Math.sqrt(v) + eps);
});
const optimizer = new RMSprop([a, b], { lr, alpha, eps });
optimizer.step();
console.log(`\none RMSprop step, lr ${lr}, alpha ${alpha}, eps ${eps}:`);
[a, b].forEach((p, i) => {
  const name = i === 0 ? "a" : "b";
  const same = p.item() === byHand[i] ? "identical" : `differs by ${Math.abs(p.item() - byHand[i])}`;
  console.log(`  ${name}: by hand ${byHand[i]}   optimizer.step() ${p.item()}   (${same})`);
});
console.log("\nNote the first step moves each parameter by about 10 * lr: sqrt(1 - alpha) * |g| is |g| / 10.");
