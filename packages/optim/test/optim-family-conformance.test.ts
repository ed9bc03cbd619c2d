import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Adadelta, Adamax, NAdam, RAdam } from "@minigrad/optim";
import { BITS, TRACE_KINDS, runTraceCase, type AnyOptimizer, type Make, type TraceCase, type Tolerance } from "./helpers/optim-traces";

// fixtures/optim-family.json: traces recorded from torch.optim's Adamax, NAdam, RAdam and
// Adadelta (PyTorch 1.13's CPU for-loop path) by fixtures/gen_optim_family.py. float32 must
// match bit for bit (every operation of torch's kernels emulated, FMAs included); float64
// (the same operations in double, without torch's FMAs) to 1e-12 relative.

const fixture = JSON.parse(readFileSync(new URL("./fixtures/optim-family.json", import.meta.url), "utf8")) as {
  generator: string;
  cases: TraceCase[];
};

// Each class's hooks are typed by its own `this`, so it is an Optimizer<object> only by a cast.
const MAKE: Record<string, Make> = {
  Adamax: (p, o) => new Adamax(p as never, o) as unknown as AnyOptimizer,
  NAdam: (p, o) => new NAdam(p as never, o) as unknown as AnyOptimizer,
  RAdam: (p, o) => new RAdam(p as never, o) as unknown as AnyOptimizer,
  Adadelta: (p, o) => new Adadelta(p as never, o) as unknown as AnyOptimizer,
};

/** What each optimizer promises (README): every one is bit-identical in float32. */
const TOLERANCE: Record<string, Tolerance> = { Adamax: BITS, NAdam: BITS, RAdam: BITS, Adadelta: BITS };

describe(`fixtures/optim-family.json (${fixture.generator})`, () => {
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
        const exact = c.dtype === "float32" && TOLERANCE[optimizer].f32 === "bits" ? ", bit for bit" : "";
        it(`${c.name} (${c.kind}, ${c.dtype}${exact})`, () => runTraceCase(c, MAKE[optimizer], TOLERANCE[optimizer]));
      }
    });
  }
});
