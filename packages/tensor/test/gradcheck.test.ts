import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Tensor, gradcheck, manualSeed, randn, tensor } from "../src/index";
import {
  applyView,
  canView,
  concreteView,
  numelOf,
  shapeArb,
  valuesOf,
  viewStepArb,
} from "./helpers/arbitraries";
import { GRAD_SHAPES, OPS, VIEW_ENTRY_OPS, gradShapes, gradcheckCase } from "./helpers/op-table";

/**
 * Every differentiable op of the op table (helpers/op-table.ts) against central finite
 * differences in float64: on the entry's fixed examples, then at random points. Inputs are
 * drawn from each input's value kind, which keeps them away from kinks (relu/abs/clamp at
 * 0, ties of maximum) where the derivative is not defined and finite differences would
 * disagree by design, and inside the domain (log, sqrt, pow's base, divisors).
 */
manualSeed(0);
const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const differentiable = OPS.filter((e) => e.differentiable);

describe("gradcheck: autograd matches finite differences in float64 for every op", () => {
  for (const op of differentiable) {
    op.examples.forEach((c, i) => {
      it(`${op.name}: ${c.label}${c.transposed?.some((t) => t) ? " (transposed input)" : ""}`, () => {
        expect(gradcheckCase(op, c, i)).toBe(true);
      });
    });
  }

  it("reports a wrong gradient with the input, the entry and both values", () => {
    // A deliberately wrong backward: claim d(2x)/dx = 3.
    const wrong = (x: Tensor) => {
      const y = x.detach().mul(2);
      return y.requiresGrad_(false).add(x.mul(3)).sub(x.detach().mul(3));
    };
    const r = randn([2], { dtype: "float64", requiresGrad: true });
    expect(() => gradcheck(wrong, [r])).toThrow(/gradcheck: Jacobian mismatch .* numerical (2|1\.99).* analytical 3/);
  });

  it("insists on float64 inputs", () => {
    expect(() => gradcheck((a) => a.exp(), [randn([2], { requiresGrad: true })])).toThrow(
      "gradcheck: input 0 is float32; inputs that require grad must be float64",
    );
  });
});

describe("gradcheck holds at random points for every differentiable op", () => {
  for (const op of differentiable) {
    it(`${op.name}: analytical gradients match finite differences on random float64 inputs`, () => {
      fc.assert(
        fc.property(op.cases(gradShapes(op)), seedArb, (c, seed) => {
          fc.pre(c.gradOk);
          expect(gradcheckCase(op, c, seed)).toBe(true);
        }),
        { numRuns: 25 },
      );
    });
  }
});

describe("gradcheck through graphs of several ops", () => {
  const leaf = (shape: number[], seed: number) =>
    tensor(valuesOf("any", numelOf(shape), seed), { shape, dtype: "float64", requiresGrad: true });

  it("random chains of the table's view ops (reshape may copy), then a product", () => {
    fc.assert(
      fc.property(shapeArb(GRAD_SHAPES), fc.array(viewStepArb(VIEW_ENTRY_OPS), { minLength: 1, maxLength: 4 }), seedArb, (shape, steps, seed) => {
        const fn = (a: Tensor) => {
          // A view that cannot be one is skipped.
          let t = a;
          for (const step of steps) {
            const v = concreteView(step, t.shape);
            if (v === null || (v.op === "view" && !canView(t, v.resolved))) continue;
            t = applyView(t, v);
          }
          return t.mul(t.add(1));
        };
        expect(gradcheck(fn, [leaf(shape, seed)])).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it("a composite expression", () => {
    const fn = (a: Tensor, b: Tensor) => a.tanh().add(a.sigmoid()).mul(b).sum(1);
    expect(gradcheck(fn, [leaf([2, 3], 1), leaf([3], 2)])).toBe(true);
  });

  it("in-place ops on a non-leaf, chained", () => {
    const fn = (a: Tensor, b: Tensor) => a.mul(1).mul_(b).add_(b);
    expect(gradcheck(fn, [leaf([3], 3), leaf([3], 4)])).toBe(true);
  });
});
