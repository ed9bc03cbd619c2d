import { AutogradError, ShapeError, fmtShape } from "../errors";
import { sameShape } from "../shape";
import type { Tensor } from "../tensor";
import { arenaScope, keep } from "../memory";
import { checkForNaN, isAnomalyEnabled } from "./anomaly";
import { enableGrad, noGrad } from "./grad-mode";
import { AccumulateGrad, Node } from "./node";

let passes = 0;

/** What one backward pass does besides propagating: see `backward` and autograd/grad.ts. */
export interface Pass {
  /** Nodes whose incoming gradient is recorded (autograd.grad's inputs), by position. */
  readonly capture?: ReadonlyMap<Node, number>;
  /**
   * Which leaves get the gradient added into `.grad`: all (backward), none (autograd.grad),
   * or those whose AccumulateGrad node is in the set (backward's `inputs`).
   */
  readonly accumulate: "all" | "none" | ReadonlySet<Node>;
  readonly retainGraph: boolean;
  /** Record the backward pass itself, so its gradients can be differentiated again. */
  readonly createGraph?: boolean;
  /**
   * Walk no further than the capture nodes (internal): a pass nested inside another one's
   * backward function, over a fresh graph whose captured nodes are aliases of that function's
   * inputs, must leave the outer graph's nodes (and their bookkeeping) alone.
   */
  readonly stopAtCapture?: boolean;
}

/**
 * Reverse-mode autodiff from `roots` with seed gradients `seeds`.
 * 1. Count, for every node reachable from the roots, how many edges lead into it; where only
 *    some nodes are wanted (autograd.grad, backward's `inputs`), mark the nodes that lead to
 *    one of them: the others are walked past without running.
 * 2. Run nodes in topological order (a node runs once all its consumers have given
 *    it their gradient), summing gradients that arrive along several paths. Before a node
 *    runs, its incoming gradient is captured (autograd.grad), then passed through the hooks
 *    of the tensor it belongs to (`registerHook`), then kept by `retainGrad()`.
 * Both passes are iterative, so deep graphs cannot overflow the stack. The counts and
 * partial sums live on the nodes, stamped with this pass's number, so a backward
 * allocates no maps however large the graph.
 *
 * The pass runs in an arena scope (memory.ts): every gradient it makes is dead once the
 * pass is over, except the `.grad`s it fills and the gradients it captures (kept), so
 * mid-sized ones are made in the arena (where the wasm kernels work in place) and their
 * blocks go back at the end of the pass instead of waiting for the garbage collector. A
 * backward function therefore must not stash a tensor it makes for use after the pass.
 */
export function runBackward(roots: readonly Tensor[], seeds: readonly Tensor[], pass: Pass): (Tensor | null)[] {
  const starts: Node[] = [];
  for (const root of roots) {
    const start = root.gradFn ?? (root.requiresGrad ? root._gradAccumulator() : null);
    if (start === null) {
      throw new AutogradError("element 0 of tensors does not require grad and does not have a grad_fn");
    }
    starts.push(start);
  }
  const captured: (Tensor | null)[] = new Array<Tensor | null>(pass.capture?.size ?? 0).fill(null);
  const stamp = ++passes;
  // With createGraph the gradients are graph tensors that outlive the pass: no arena scope.
  const inMode = pass.createGraph === true ? (fn: () => void) => enableGrad(fn) : (fn: () => void) => arenaScope(() => noGrad(fn));
  inMode(() => {
    const stops = pass.stopAtCapture === true ? pass.capture ?? null : null;
    countDependencies(starts, stamp, stops);
    const targets = pass.capture !== undefined ? pass.capture : pass.accumulate instanceof Set ? pass.accumulate : null;
    if (targets !== null) markNeeded(starts, targets, stamp, stops);
    const ready: Node[] = [];
    for (let i = 0; i < starts.length; i++) {
      const s = starts[i];
      s._grad = s._grad === null ? seeds[i] : s._grad.add(seeds[i]);
      if (--s._waiting === 0) ready.push(s);
    }
    try {
      while (ready.length > 0) {
        const node = ready.pop() as Node;
        const g = node._grad;
        node._grad = null;
        if (g !== null && (targets === null || node._needed === stamp)) runNode(node, g, pass, captured, stamp);
        if (stops !== null && stops.has(node)) continue; // the outer graph starts below
        for (const next of node.nextFunctions) {
          if (next !== null && --next._waiting === 0) ready.push(next);
        }
      }
    } finally {
      // After an error, drop partial sums so they cannot leak into a later pass.
      for (const node of ready) node._grad = null;
    }
  });
  return captured;
}

/** `root.backward(grad)`: every leaf that requires grad gets its gradient added into `.grad`. */
export function backward(root: Tensor, grad: Tensor, retainGraph: boolean): void {
  runBackward([root], [grad], { accumulate: "all", retainGraph });
}

/** Edges into every node reachable from the starts (the starts count one each, for their seed). */
function countDependencies(starts: readonly Node[], stamp: number, stops: ReadonlyMap<Node, number> | null): void {
  const stack: Node[] = [];
  const visit = (node: Node) => {
    if (node._pass !== stamp) {
      node._pass = stamp;
      node._waiting = 0;
      node._grad = null;
      if (stops === null || !stops.has(node)) stack.push(node);
    }
    node._waiting++;
  };
  for (const s of starts) visit(s);
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    for (const next of node.nextFunctions) if (next !== null) visit(next);
  }
}

/**
 * Stamp `_needed` on every node from which a target is reachable (a target included):
 * an iterative post-order walk, each node once.
 */
function markNeeded(
  starts: readonly Node[], targets: ReadonlySet<Node> | ReadonlyMap<Node, number>, stamp: number,
  stops: ReadonlyMap<Node, number> | null,
): void {
  const done = new Set<Node>();
  const stack: [Node, number][] = starts.map((s) => [s, 0]);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i === 0 && done.has(node)) {
      stack.pop();
      continue;
    }
    if (i < node.nextFunctions.length && (stops === null || !stops.has(node))) {
      top[1] = i + 1;
      const next = node.nextFunctions[i];
      if (next !== null && !done.has(next)) stack.push([next, 0]);
      continue;
    }
    stack.pop();
    done.add(node);
    let needed = targets.has(node);
    for (const next of node.nextFunctions) if (next !== null && next._needed === stamp) needed = true;
    if (needed) node._needed = stamp;
  }
}

function runNode(node: Node, incoming: Tensor, pass: Pass, captured: (Tensor | null)[], stamp: number): void {
  const at = pass.capture?.get(node);
  if (at !== undefined) captured[at] = keep(incoming); // before the hooks, as torch captures it; outlives the pass
  let grad = incoming;
  if (node.hooks !== null) {
    for (const hook of node.hooks) {
      const replaced = hook(grad);
      if (replaced !== undefined && replaced !== null) grad = checkedHookResult(node, grad, replaced);
    }
  }
  if (node instanceof AccumulateGrad) {
    const acc = pass.accumulate;
    if (acc === "all" || (acc instanceof Set && acc.has(node))) node.variable._accumulateGrad(grad, pass.createGraph);
    return;
  }
  if (node.retained !== null) node.retained._accumulateGrad(grad, pass.createGraph);
  if (at !== undefined && !leadsFurther(node, stamp)) return; // nothing wanted lies beyond it
  const inputGrads = node.apply(grad, pass.createGraph);
  if (isAnomalyEnabled()) checkForNaN(node.name, inputGrads, node.trace);
  if (!pass.retainGraph) node.release();
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

/** A captured node still runs when another wanted node lies beyond it. */
function leadsFurther(node: Node, stamp: number): boolean {
  for (const next of node.nextFunctions) if (next !== null && next._needed === stamp) return true;
  return false;
}

function checkedHookResult(node: Node, grad: Tensor, replaced: unknown): Tensor {
  const r = replaced as Tensor;
  if (typeof r !== "object" || !("shape" in r) || !sameShape(r.shape, grad.shape)) {
    const got = typeof r === "object" && r !== null && "shape" in r ? `a tensor of shape ${fmtShape(r.shape)}` : typeof r;
    throw new AutogradError(
      `hook of the tensor made by ${node.name}: a hook must return nothing or a tensor of the gradient's shape ` +
        `${fmtShape(grad.shape)}, got ${got}`,
    );
  }
  return r;
}
