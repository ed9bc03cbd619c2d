import { describe, expect, it } from "vitest";
import { exportGraph, tensor } from "../src/index";

describe("exportGraph", () => {
  const a = tensor([1, 2], { requiresGrad: true });
  const b = tensor([3, 4], { requiresGrad: true });
  const y = a.mul(b).add(a).sum();

  it("writes Graphviz DOT with every node once and edges along the gradient flow", () => {
    const dot = exportGraph(y, { names: { a, b } });
    expect(dot.startsWith("digraph autograd {")).toBe(true);
    expect(dot).toContain('label="SumBackward"');
    expect(dot).toContain('label="AddBackward"');
    expect(dot).toContain('label="MulBackward"');
    expect(dot).toContain('label="a [2]"');
    expect(dot).toContain('label="b [2]"');
    expect(dot.match(/label="a \[2\]"/g)?.length).toBe(1); // a is used twice but drawn once
    expect(dot.match(/->/g)?.length).toBe(6); // out->Sum, Sum->Add, Add->Mul, Add->a, Mul->a, Mul->b
  });

  it("writes a Mermaid flowchart", () => {
    const mermaid = exportGraph(y, { format: "mermaid" });
    expect(mermaid.split("\n")[0]).toBe("flowchart TD");
    expect(mermaid).toContain('["MulBackward"]');
    expect(mermaid.match(/-->/g)?.length).toBe(6);
  });
});
