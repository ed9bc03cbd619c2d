import { describe, expect, it } from "vitest";
import { loadConformance, runOpCase, type OpCase } from "./helpers/conformance";

/**
 * Every tensor case of conformance/ops.json (traces recorded from PyTorch 1.13), in
 * float32 and float64: forward values and shapes, then the gradient of
 * `(y * upstream).sum()` with respect to each input. The `F.` (nn.functional) cases
 * run in packages/nn/test.
 */
const { cases } = loadConformance<{ cases: OpCase[] }>("ops.json");
const tensorCases = cases.filter((c) => !c.ts.includes("F."));

describe("conformance: ops.json (tensor ops)", () => {
  it("covers every non-nn case of the fixture", () => {
    expect(tensorCases.length).toBeGreaterThanOrEqual(118);
  });

  for (const c of tensorCases) it(`${c.name} (${c.dtype})`, () => runOpCase(c));
});
