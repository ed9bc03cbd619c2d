import { AutogradError, ShapeError, fmtShape } from "../errors";
import { sameShape } from "../shape";
import type { Tensor } from "../tensor";
import { arenaScope } from "../memory";
import { noGrad } from "./grad-mode";
import { AccumulateGrad, Node } from "./node";

let passes = 0;

/**
 * Reverse-mode autodiff from `root` with seed gradient `grad`.
 * 1. Count, for every node reachable from the root, how many edges lead into it.
 * 2. Run nodes in topological order (a node runs once all its consumers have given
 *    it their gradient), summing gradients that arrive along several paths.
 * Both passes are iterative, so deep graphs cannot overflow the stack. The counts and
 * partial sums live on the nodes, stamped with this pass's number, so a backward
 * allocates no maps however large the graph.
 *
 * The pass runs in an arena scope (memory.ts): every gradient it makes is dead once the
 * pass is over, except the `.grad`s it fills (kept by `_accumulateGrad`), so mid-sized ones
 * are made in the arena (where the wasm kernels work in place) and their blocks go back at
 * the end of the pass instead of waiting for the garbage collector. A backward function
 * therefore must not stash a tensor it makes for use after the pass (minigrad's own do not).
 */
export function backward(root: Tensor, grad: Tensor, retainGraph: boolean): void {
  const start = root.gradFn ?? (root.requiresGrad ? root._gradAccumulator() : null);
  if (start === null) {
    throw new AutogradError("element 0 of tensors does not require grad and does not have a grad_fn");
  }
  const pass = ++passes;
  arenaScope(() => noGrad(() => {
    countDependencies(start, pass);
    start._grad = grad;
    const ready: Node[] = [start];
    try {
      while (ready.length > 0) {
        const node = ready.pop() as Node;
        const g = node._grad;
        node._grad = null;
        if (g !== null) runNode(node, g, retainGraph);
        for (const next of node.nextFunctions) {
          if (next !== null && --next._waiting === 0) ready.push(next);
        }
      }
    } finally {
      // After an error, drop partial sums so they cannot leak into a later pass.
      for (const node of ready) node._grad = null;
    }
  }));
}

function countDependencies(start: Node, pass: number): void {
  start._pass = pass;
  start._waiting = 0;
  const stack = [start];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    for (const next of node.nextFunctions) {
      if (next === null) continue;
      if (next._pass !== pass) {
        next._pass = pass;
        next._waiting = 0;
        next._grad = null;
        stack.push(next);
      }
      next._waiting++;
    }
  }
}

function runNode(node: Node, grad: Tensor, retainGraph: boolean): void {
  if (node instanceof AccumulateGrad) {
    node.variable._accumulateGrad(grad);
    return;
  }
  if (node.retained !== null) node.retained._accumulateGrad(grad);
  const inputGrads = node.apply(grad);
  if (!retainGraph) node.release();
  const next = node.nextFunctions;
  for (let i = 0; i < next.length; i++) {
    const target = next[i];
    const g = inputGrads[i];
    if (target === null || g === null || g === undefined) continue;
    if (!sameShape(g.shape, node.inputShapes[i])) {
      throw new ShapeError(
        `internal error: ${node.name} returned a gradient of shape ${fmtShape(g.shape)} ` +
          `for input ${i} of shape ${fmtShape(node.inputShapes[i])}`,
      );
    }
    target._grad = target._grad === null ? g : target._grad.add(g);
  }
}
