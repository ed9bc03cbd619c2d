import { describe, expect, it } from "vitest";
import { loadConformance } from "../../tensor/test/helpers/conformance";
import { loadFixture, runCase, type OpCase } from "./helpers/cases";

/**
 * The `F.` cases of conformance/ops.json (PyTorch 1.13 traces), and the wider set of
 * functional cases in fixtures/nn.json (loss options, K-dim inputs, probabilities,
 * padding, approximations), recorded by fixtures/gen_nn.py from the same PyTorch.
 */
const opsCases = loadConformance<{ cases: OpCase[] }>("ops.json").cases.filter((c) => c.ts.includes("F."));
const nnCases = loadFixture<{ cases: OpCase[] }>("nn.json").cases;

describe("conformance: ops.json (nn.functional cases)", () => {
  it("covers every F. case: linear, mseLoss, crossEntropy, bce with logits, layerNorm in both dtypes", () => {
    expect(opsCases.length).toBe(10);
  });
  for (const c of opsCases) it(`${c.name} (${c.dtype})`, () => runCase(c));
});

describe("fixtures/nn.json (PyTorch 1.13 reference values)", () => {
  for (const c of nnCases) it(`${c.name}: ${c.ts}`, () => runCase(c));
});
