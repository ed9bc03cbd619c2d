import { fmtShape } from "../errors";
import type { Tensor } from "../tensor";
import { AccumulateGrad, type Node } from "./node";

/** Options of `exportGraph`. */
export interface ExportGraphOptions {
  /** Graphviz DOT (default) or a Mermaid flowchart. */
  format?: "dot" | "mermaid";
  /** Names for leaf tensors, shown on their AccumulateGrad nodes (e.g. { w: weight }). */
  names?: Record<string, Tensor>;
}

/**
 * The backward graph that produced `root`, as text for Graphviz or Mermaid: one box per
 * node (`MulBackward`, ...), leaves shown with their shape (and name, if given), edges in
 * the direction gradients flow.
 */
export function exportGraph(root: Tensor, options: ExportGraphOptions = {}): string {
  const format = options.format ?? "dot";
  const leafNames = new Map<Tensor, string>(Object.entries(options.names ?? {}).map(([n, t]) => [t, n]));
  const ids = new Map<Node, string>();
  const labels: string[] = [];
  const edges: [string, string][] = [];
  const describe = (shape: readonly number[]) => (shape.length === 0 ? "scalar" : fmtShape(shape));
  const label = (node: Node): string => {
    if (!(node instanceof AccumulateGrad)) return node.name;
    const name = leafNames.get(node.variable);
    return `${name ? `${name} ` : ""}${describe(node.variable.shape)}`;
  };
  const idOf = (node: Node): string => {
    let id = ids.get(node);
    if (id === undefined) {
      id = `n${ids.size}`;
      ids.set(node, id);
      labels.push(format === "dot" ? `  ${id} [label="${label(node)}"${node instanceof AccumulateGrad ? ", shape=box, style=filled, fillcolor=lightblue" : ""}];` : `  ${id}["${label(node)}"]`);
    }
    return id;
  };
  const rootId = "out";
  const rootLabel = `output ${describe(root.shape)}`;
  const start = root.gradFn;
  if (start !== null) {
    const stack: Node[] = [start];
    edges.push([rootId, idOf(start)]);
    const seen = new Set<Node>([start]);
    while (stack.length > 0) {
      const node = stack.pop() as Node;
      for (const next of node.nextFunctions) {
        if (next === null) continue;
        edges.push([idOf(node), idOf(next)]);
        if (!seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
  }
  if (format === "mermaid") {
    return ["flowchart TD", `  ${rootId}(["${rootLabel}"])`, ...labels, ...edges.map(([a, b]) => `  ${a} --> ${b}`)].join("\n");
  }
  return [
    "digraph autograd {",
    "  rankdir=TB;",
    `  ${rootId} [label="${rootLabel}", shape=ellipse, style=filled, fillcolor=lightyellow];`,
    ...labels,
    ...edges.map(([a, b]) => `  ${a} -> ${b};`),
    "}",
  ].join("\n");
}
