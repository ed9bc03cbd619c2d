import { describe, expect, it } from "vitest";
import { Adagrad, Adam, AdamW, SGD } from "@minigrad/optim";
import { BITS, TRACE_KINDS, loadTraces, runTraceCase, type AnyOptimizer, type Make } from "./helpers/optim-traces";

// fixtures/optim-core.json: traces recorded from torch.optim's SGD, Adam, AdamW and Adagrad
// (PyTorch 1.13's CPU for-loop path) by fixtures/gen_optim_core.py. float32 must match bit
// for bit; float64 (the same operations in double, without torch's FMAs) to 1e-12 relative.

const MAKE: Record<string, Make> = {
  SGD: (p, o) => new SGD(p as never, o) as unknown as AnyOptimizer,
  Adam: (p, o) => new Adam(p as never, o) as unknown as AnyOptimizer,
  AdamW: (p, o) => new AdamW(p as never, o) as unknown as AnyOptimizer,
  Adagrad: (p, o) => new Adagrad(p as never, o) as unknown as AnyOptimizer,
};

const fixture = loadTraces("optim-core.json");

describe(`fixtures/optim-core.json (${fixture.generator})`, () => {
  it("has every kind of case for every optimizer, in float32 and float64", () => {
    const kinds = new Set(fixture.cases.map((c) => `${c.optimizer}/${c.kind}/${c.dtype}`));
    for (const optimizer of Object.keys(MAKE)) {
      for (const kind of TRACE_KINDS) {
        for (const dtype of ["float32", "float64"]) expect(kinds).toContain(`${optimizer}/${kind}/${dtype}`);
      }
    }
  });

  for (const optimizer of Object.keys(MAKE)) {
    describe(optimizer, () => {
      for (const c of fixture.cases.filter((x) => x.optimizer === optimizer)) {
        it(`${c.name} (${c.kind}, ${c.dtype}${c.dtype === "float32" ? ", bit for bit" : ""})`, () => runTraceCase(c, MAKE[optimizer], BITS));
      }
    });
  }
});
