/**
 * The Graph panel: an expression in a, b, c, its backward graph with each node's value, the
 * gradients after backward, and backward one node at a time in topological order, with each
 * node's local derivative (from the node's own backward function).
 */
import { exportGraph, tensor, type Tensor } from "@minigrad/tensor";
import { button, fmt, h, numberInput, s } from "../ui";
import { evaluate, parse, ParseError } from "./expr";
import { buildGraph, Stepper, type Graph, type GraphNode, type Step } from "./model";

const VARIABLES = ["a", "b", "c"] as const;
const BOX = { w: 168, h: 70, dx: 210, dy: 92 };

interface State {
  leaves: Record<string, Tensor>;
  out: Tensor;
  graph: Graph;
  stepper: Stepper;
  /** gradients from out.backward(): leaves' .grad, and retained .grad of the others */
  backward: Map<GraphNode, number> | null;
}

export function graphPanel(): HTMLElement {
  const expr = h("input", { type: "text", value: "(a * b + c).tanh()", size: 36, "data-testid": "expr", spellcheck: "false" });
  const values: Record<string, HTMLInputElement> = {};
  const fields = VARIABLES.map((name, i) => {
    const f = numberInput(name, [2, -0.5, 1.5][i], { "data-testid": `var-${name}`, size: 6 });
    values[name] = f.input;
    return f.wrap;
  });
  const backwardBtn = button("backward()", { "data-testid": "backward" });
  const stepBtn = button("step ▸", { "data-testid": "step", title: "run the next node of backward" });
  const resetBtn = button("reset steps", { "data-testid": "reset-steps" });
  const error = h("p", { class: "error", "data-testid": "expr-error" });
  const svgBox = h("div", { class: "graph-box" });
  const current = h("div", { class: "step-now", "data-testid": "step-now" });
  const log = h("ol", { class: "step-log", "data-testid": "step-log" });
  const leafTable = h("table", { class: "numbers", "data-testid": "leaf-table" });
  const exported = h("pre", { class: "exported", "data-testid": "export-graph" });
  let state: State | null = null;

  const rebuild = () => {
    error.textContent = "";
    try {
      const leaves: Record<string, Tensor> = {};
      for (const name of VARIABLES) {
        const v = Number(values[name].value);
        if (!Number.isFinite(v)) throw new ParseError(`${name} is not a number`);
        leaves[name] = tensor(v, { dtype: "float64", requiresGrad: true });
      }
      const { out, made } = evaluate(parse(expr.value, VARIABLES), leaves);
      for (const m of made) if (m.tensor.requiresGrad && !m.tensor.isLeaf) m.tensor.retainGrad();
      const graph = buildGraph(out, made, leaves);
      state = { leaves, out, graph, stepper: new Stepper(graph), backward: null };
      exported.textContent = exportGraph(out, { format: "mermaid", names: leaves });
    } catch (e) {
      state = null;
      error.textContent = e instanceof Error ? e.message : String(e);
    }
    log.replaceChildren();
    current.textContent = state === null ? "" : "Press step to start backward at the output: ∂out/∂out = 1.";
    render();
  };

  const render = () => {
    svgBox.replaceChildren();
    leafTable.replaceChildren();
    if (state === null) return;
    const { graph, stepper, backward, out } = state;
    const lastStep = stepper.steps.at(-1);
    svgBox.append(drawGraph(graph, stepper, backward, lastStep));
    leafTable.append(
      h("tr", {}, h("th", {}, ""), h("th", {}, "value"), h("th", {}, "grad (backward)"), h("th", {}, "grad (stepped)")),
      h("tr", { "data-testid": "row-out", "data-value": out.item() }, h("td", {}, "out"), h("td", {}, fmt(out.item(), 6)), h("td", {}, backward ? "1" : "–"), h("td", {}, "")),
      ...graph.nodes.filter((g) => g.leaf !== null).sort((x, y) => (x.leaf ?? "").localeCompare(y.leaf ?? "")).map((g) => {
        const engine = backward?.get(g);
        const stepped = stepper.grads.get(g);
        const steppedDone = stepper.steps.some((st) => st.node === g);
        return h("tr", {
          "data-testid": `row-${g.leaf}`, "data-value": g.value,
          "data-grad": engine ?? "", "data-stepped": steppedDone ? (stepped ?? 0) : "",
        }, h("td", {}, g.leaf ?? ""), h("td", {}, fmt(g.value, 6)), h("td", {}, engine === undefined ? "–" : fmt(engine, 6)),
        h("td", {}, steppedDone ? fmt(stepped ?? 0, 6) : "–"));
      }),
    );
    stepBtn.disabled = stepper.finished;
  };

  backwardBtn.addEventListener("click", () => {
    if (state === null) return;
    const { out, graph } = state;
    for (const t of Object.values(state.leaves)) t.grad = null;
    out.backward(null, { retainGraph: true }); // kept, so that stepping can still call the nodes
    const grads = new Map<GraphNode, number>();
    for (const g of graph.nodes) {
      const grad = g.tensor?.grad ?? null; // leaves' .grad, and the intermediates' (retainGrad)
      if (grad !== null) grads.set(g, grad.item());
    }
    grads.set(graph.root, 1);
    state.backward = grads;
    render();
  });

  stepBtn.addEventListener("click", () => {
    if (state === null) return;
    const st = state.stepper.step();
    if (st === null) return;
    current.replaceChildren(describe(st));
    log.append(h("li", {}, describe(st)));
    if (state.stepper.finished) {
      current.append(h("p", { class: "done" }, "Every node has run: the stepped gradients of a, b, c are what backward() gives."));
    }
    render();
  });

  resetBtn.addEventListener("click", () => {
    if (state === null) return;
    state.stepper = new Stepper(state.graph);
    log.replaceChildren();
    current.textContent = "Press step to start backward at the output: ∂out/∂out = 1.";
    render();
  });

  for (const el of [expr, ...Object.values(values)]) el.addEventListener("change", rebuild);
  expr.addEventListener("keydown", (e) => {
    if (e.key === "Enter") rebuild();
  });
  queueMicrotask(rebuild);

  return h("section", { class: "panel", id: "graph-panel" },
    h("p", { class: "intro" }, "Type an expression in a, b and c with Tensor methods (", h("code", {}, "(a * b + c).tanh()"), ", ",
      h("code", {}, "a.pow(2).sub(b.exp())"), ", ", h("code", {}, "tanh(a) * a"), "): the graph below is minigrad's own backward graph, one node per op."),
    h("div", { class: "controls" }, h("label", { class: "field" }, "out = ", expr), ...fields, backwardBtn, stepBtn, resetBtn),
    error,
    svgBox,
    h("div", { class: "columns" },
      h("div", {}, h("h3", {}, "Values and gradients"), leafTable, h("h3", {}, "This step"), current),
      h("div", {}, h("h3", {}, "Backward, node by node"), log),
    ),
    h("details", {}, h("summary", {}, "exportGraph(out, { format: \"mermaid\" })"), exported),
  );
}

function describe(st: Step): HTMLElement {
  const { node, upstream, passes } = st;
  if (node.leaf !== null) {
    return h("div", {}, h("strong", {}, `AccumulateGrad (${node.leaf})`), `: ${node.leaf}.grad = ${fmt(upstream, 6)}`);
  }
  return h("div", {},
    h("strong", {}, node.name), ` of `, h("code", {}, node.text), `: received ∂out/∂(this) = ${fmt(upstream, 6)}`,
    h("ul", {}, ...passes.map((p) => p === null ? null : h("li", {},
      `∂(this)/∂`, h("code", {}, p.to.text), ` = ${fmt(p.local, 6)}  →  passes ${fmt(upstream, 6)} × ${fmt(p.local, 6)} = ${fmt(p.passed, 6)}`))),
  );
}

function drawGraph(graph: Graph, stepper: Stepper, backward: Map<GraphNode, number> | null, last: Step | undefined): SVGSVGElement {
  const maxDepth = Math.max(...graph.nodes.map((g) => g.depth));
  const columns = new Map<number, GraphNode[]>();
  for (const g of graph.order) columns.set(g.depth, [...(columns.get(g.depth) ?? []), g]);
  const tallest = Math.max(...[...columns.values()].map((c) => c.length));
  const pos = new Map<GraphNode, { x: number; y: number }>();
  for (const [depth, col] of columns) {
    col.forEach((g, i) => pos.set(g, {
      x: 10 + (maxDepth - depth) * BOX.dx,
      y: 10 + (i + (tallest - col.length) / 2) * BOX.dy,
    }));
  }
  const width = 20 + maxDepth * BOX.dx + BOX.w + 60;
  const height = 20 + (tallest - 1) * BOX.dy + BOX.h;
  const svg = s("svg", { width, height, viewBox: `0 0 ${width} ${height}`, "data-testid": "graph-svg" });
  svg.append(s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
    s("path", { d: "M0,0 L10,5 L0,10 z", fill: "#888" }))));
  for (const g of graph.nodes) {
    const to = pos.get(g);
    if (to === undefined) continue;
    for (const i of g.inputs) {
      const from = i === null ? undefined : pos.get(i);
      if (from === undefined) continue;
      svg.append(s("line", { x1: from.x + BOX.w, y1: from.y + BOX.h / 2, x2: to.x, y2: to.y + BOX.h / 2, stroke: "#888", "marker-end": "url(#arrow)" }));
    }
  }
  const rootPos = pos.get(graph.root);
  if (rootPos !== undefined) {
    svg.append(s("line", { x1: rootPos.x + BOX.w, y1: rootPos.y + BOX.h / 2, x2: rootPos.x + BOX.w + 40, y2: rootPos.y + BOX.h / 2, stroke: "#888", "marker-end": "url(#arrow)" }),
      s("text", { x: rootPos.x + BOX.w + 44, y: rootPos.y + BOX.h / 2 + 4, class: "small" }, "out"));
  }
  const ran = new Set(stepper.steps.map((st) => st.node));
  const receiving = new Set(last?.passes.map((p) => p?.to) ?? []);
  for (const g of graph.nodes) {
    const p = pos.get(g);
    if (p === undefined) continue;
    const engine = backward?.get(g);
    const stepped = stepper.grads.get(g);
    const cls = ["node", g.leaf !== null ? "leaf" : "", last?.node === g ? "current" : "", receiving.has(g) ? "receiving" : "", ran.has(g) ? "ran" : ""].join(" ");
    const gradText = stepped !== undefined && (stepper.steps.length > 0) ? `grad ${fmt(stepped, 5)}` : engine !== undefined ? `grad ${fmt(engine, 5)}` : "grad –";
    svg.append(s("g", {
      class: cls, transform: `translate(${p.x},${p.y})`, "data-testid": `node-${g.id}`, "data-name": g.name, "data-text": g.text,
      "data-value": g.value, "data-grad": engine ?? "", "data-stepped": stepped ?? "",
    },
    s("rect", { width: BOX.w, height: BOX.h, rx: 6 }),
    s("text", { x: 8, y: 16, class: "name" }, g.leaf !== null ? `${g.leaf} (leaf)` : g.name),
    s("text", { x: 8, y: 32, class: "small" }, g.leaf !== null ? "AccumulateGrad" : clip(g.text, 24)),
    s("text", { x: 8, y: 48 }, `value ${fmt(g.value, 5)}`),
    s("text", { x: 8, y: 64, class: "grad" }, gradText),
    ));
  }
  return svg;
}

function clip(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n - 1)}…`;
}
