import { describe, expect, it } from "vitest";
import * as T from "../src/index";
import { expectClose, fromFixture, loadConformance, type FixtureTensor } from "./helpers/conformance";

/**
 * Every tensor case of conformance/ops.json (traces recorded from PyTorch 1.13), in
 * float32 and float64: forward values and shapes, then the gradient of
 * `(y * upstream).sum()` with respect to each input. The `F.` (nn.functional) cases
 * run in packages/nn/test.
 */
interface OpCase {
  name: string;
  ts: string;
  dtype: T.DType;
  inputs: Record<string, FixtureTensor>;
  requiresGrad: string[];
  output: FixtureTensor;
  upstream: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

const { cases } = loadConformance<{ cases: OpCase[] }>("ops.json");
const tensorCases = cases.filter((c) => !c.ts.includes("F."));

/** Evaluate a case's expression with a, b, c bound and T the package namespace. */
export function evaluate(c: OpCase, bindings: Record<string, unknown>): T.Tensor {
  const body = c.ts.includes("return") ? c.ts : `return (${c.ts});`;
  const names = Object.keys(bindings);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the fixtures are code by design
  return new Function(...names, body)(...names.map((n) => bindings[n])) as T.Tensor;
}

describe("conformance: ops.json (tensor ops)", () => {
  it("covers every non-nn case of the fixture", () => {
    expect(tensorCases.length).toBeGreaterThanOrEqual(118);
  });

  for (const c of tensorCases) {
    it(`${c.name} (${c.dtype})`, () => {
      const inputs: Record<string, T.Tensor> = {};
      for (const [name, t] of Object.entries(c.inputs)) {
        inputs[name] = fromFixture(t, c.dtype, c.requiresGrad.includes(name));
      }
      const y = evaluate(c, { ...inputs, T, F: undefined });
      expectClose(y, c.output, c.dtype, "forward");
      y.mul(fromFixture(c.upstream, c.dtype)).sum().backward();
      for (const [name, want] of Object.entries(c.grads)) {
        const grad = inputs[name].grad;
        expect(grad, `grad of ${name}`).not.toBeNull();
        expectClose(grad as T.Tensor, want, c.dtype, `grad of ${name}`);
      }
    });
  }
});
