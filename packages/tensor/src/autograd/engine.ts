import { AutogradError, ShapeError, fmtShape } from "../errors";
import { sameShape } from "../shape";
import type { Tensor } from "../tensor";
import { noGrad } from "./grad-mode";
import { AccumulateGrad, Node } from "./node";

/**
 * Reverse-mode autodiff from `root` with seed gradient `grad`.
 * 1. Count, for every node reachable from the root, how many edges lead into it.
 * 2. Run nodes in topological order (a node runs once all its consumers have given
 *    it their gradient), summing gradients that arrive along several paths.
 * Both passes are iterative, so deep graphs cannot overflow the stack.
 */
export function backward(root: Tensor, grad: Tensor, retainGraph: boolean): void {
  const start = root.gradFn ?? (root.requiresGrad ? root._gradAccumulator() : null);
  if (start === null) {
    throw new AutogradError("element 0 of tensors does not require grad and does not have a grad_fn");
  }
  noGrad(() => {
    const dependencies = countDependencies(start);
    const pending = new Map<Node, Tensor>([[start, grad]]);
    const ready: Node[] = [start];
    while (ready.length > 0) {
      const node = ready.pop() as Node;
      const g = pending.get(node);
      pending.delete(node);
      if (g !== undefined) runNode(node, g, pending, retainGraph);
      node.nextFunctions.forEach((next) => {
        if (next === null) return;
        const left = (dependencies.get(next) ?? 1) - 1;
        dependencies.set(next, left);
        if (left === 0) ready.push(next);
      });
    }
  });
}

function countDependencies(start: Node): Map<Node, number> {
  const counts = new Map<Node, number>();
  const seen = new Set<Node>([start]);
  const stack = [start];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    for (const next of node.nextFunctions) {
      if (next === null) continue;
      counts.set(next, (counts.get(next) ?? 0) + 1);
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return counts;
}

function runNode(node: Node, grad: Tensor, pending: Map<Node, Tensor>, retainGraph: boolean): void {
  if (node instanceof AccumulateGrad) {
    node.variable._accumulateGrad(grad);
    return;
  }
  if (node.retained !== null) node.retained._accumulateGrad(grad);
  const inputGrads = node.apply(grad);
  if (!retainGraph) node.release();
  node.nextFunctions.forEach((next, i) => {
    const g = inputGrads[i];
    if (next === null || g === null || g === undefined) return;
    if (!sameShape(g.shape, node.inputShapes[i])) {
      throw new ShapeError(
        `internal error: ${node.name} returned a gradient of shape ${fmtShape(g.shape)} ` +
          `for input ${i} of shape ${fmtShape(node.inputShapes[i])}`,
      );
    }
    const sofar = pending.get(next);
    pending.set(next, sofar === undefined ? g : sofar.add(g));
  });
}
