/**
 * The backward graph of an expression, read from minigrad itself: nodes are the `gradFn`s
 * (MulBackward, TanhBackward, ...) reached from the output through `nextFunctions`, and the
 * AccumulateGrad sinks of the leaves. A step of backward is one node: its local derivatives
 * come from calling that node's own backward (`Node.apply`) with an upstream gradient of 1,
 * and what it passes on from calling it with the gradient it received.
 */
import { AccumulateGrad, tensor, type Node, type Tensor } from "@minigrad/tensor";
import type { Evaluated } from "./expr";

export interface GraphNode {
  id: number;
  node: Node;
  /** `MulBackward`, `AccumulateGrad`, ... */
  name: string;
  /** the subexpression (or the variable's name for a leaf) */
  text: string;
  /** the tensor this node belongs to (for AccumulateGrad, the leaf) */
  tensor: Tensor | null;
  /** its forward value */
  value: number;
  /** this node's inputs (their nodes), in the op's argument order; null where an input needs no gradient */
  inputs: (GraphNode | null)[];
  /** distance from the output (0 for the output's node) along the longest path */
  depth: number;
  /** the leaf's variable name, for AccumulateGrad */
  leaf: string | null;
}

export interface Graph {
  nodes: GraphNode[];
  /** the output's node */
  root: GraphNode;
  /** the order backward visits the nodes: each after every node that feeds it a gradient */
  order: GraphNode[];
}

/** Build the graph of `out`; `made` maps tensors to their subexpressions, `leaves` names the variables. */
export function buildGraph(out: Tensor, made: readonly Evaluated[], leaves: Record<string, Tensor>): Graph {
  const start = out.gradFn;
  if (start === null) throw new Error("the expression does not depend on a, b or c");
  const byNode = new Map<Node, Evaluated>();
  for (const m of made) if (m.tensor.gradFn !== null) byNode.set(m.tensor.gradFn, m);
  const leafName = new Map<Tensor, string>(Object.entries(leaves).map(([n, t]) => [t, n]));

  const nodes = new Map<Node, GraphNode>();
  const visit = (node: Node): GraphNode => {
    const known = nodes.get(node);
    if (known !== undefined) return known;
    let text: string, t: Tensor | null, leaf: string | null = null;
    if (node instanceof AccumulateGrad) {
      leaf = leafName.get(node.variable) ?? "?";
      text = leaf;
      t = node.variable;
    } else {
      const m = byNode.get(node);
      text = m?.text ?? node.name;
      t = m?.tensor ?? null;
    }
    const value = t?.item() ?? NaN;
    const g: GraphNode = { id: nodes.size, node, name: node.name, text, tensor: t, value, inputs: [], depth: 0, leaf };
    nodes.set(node, g);
    g.inputs = node.nextFunctions.map((n) => (n === null ? null : visit(n)));
    return g;
  };
  const root = visit(start);

  // Kahn's order from the output, counting each edge (an input used twice has two).
  const waiting = new Map<GraphNode, number>();
  for (const g of nodes.values()) for (const i of g.inputs) if (i !== null) waiting.set(i, (waiting.get(i) ?? 0) + 1);
  const order: GraphNode[] = [];
  const ready = [root];
  while (ready.length > 0) {
    const g = ready.shift() as GraphNode;
    order.push(g);
    for (const i of g.inputs) {
      if (i === null) continue;
      i.depth = Math.max(i.depth, g.depth + 1);
      const left = (waiting.get(i) ?? 0) - 1;
      waiting.set(i, left);
      if (left === 0) ready.push(i);
    }
  }
  return { nodes: [...nodes.values()], root, order };
}

/** One step of backward, written out. */
export interface Step {
  node: GraphNode;
  /** the gradient of the output with respect to this node's value: what it received */
  upstream: number;
  /** per input (null where it needs no gradient): ∂node/∂input, and upstream × that, passed on */
  passes: ({ to: GraphNode; local: number; passed: number } | null)[];
}

/**
 * Walks backward one node at a time in `graph.order`, keeping each node's gradient so far.
 * Calls the nodes' own backward functions, so the graph must have been kept
 * (`backward({ retainGraph: true })`, or no backward yet).
 */
export class Stepper {
  /** the gradient each node has received so far */
  readonly grads = new Map<GraphNode, number>();
  /** how many nodes have run */
  done = 0;
  readonly steps: Step[] = [];

  constructor(readonly graph: Graph) {
    this.grads.set(graph.root, 1);
  }

  get finished(): boolean {
    return this.done >= this.graph.order.length;
  }

  /** The next node runs: returns what it did, or null if every node has run. */
  step(): Step | null {
    if (this.finished) return null;
    const node = this.graph.order[this.done++];
    const upstream = this.grads.get(node) ?? 0;
    const passes: Step["passes"] = [];
    if (node.leaf === null) {
      const one = tensor(1, { dtype: "float64" });
      const locals = node.node.apply(one);
      const passed = node.node.apply(tensor(upstream, { dtype: "float64" }));
      node.inputs.forEach((to, i) => {
        const l = locals[i];
        const p = passed[i];
        if (to === null || l === null || p === null) {
          passes.push(null);
          return;
        }
        const pass = { to, local: l.item(), passed: p.item() };
        this.grads.set(to, (this.grads.get(to) ?? 0) + pass.passed);
        passes.push(pass);
      });
    }
    const s = { node, upstream, passes };
    this.steps.push(s);
    return s;
  }
}
