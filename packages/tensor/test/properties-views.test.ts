import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ShapeError, Tensor, tensor, type NestedArray } from "../src/index";
import {
  type ConcreteView,
  type Ref,
  type ViewInput,
  applyLayout,
  applyView,
  applyViewRef,
  canView,
  concreteView,
  describeView,
  domainArb,
  expectNestedClose,
  flatValues,
  fmt,
  layoutBaseShape,
  layoutSteps,
  numelOf,
  refArb,
  reshapeLikeTarget,
  reshapeSpecArb,
  reshapeTarget,
  shapeArb,
  toNested,
  viewInputArb,
  viewStepArb,
} from "./helpers/arbitraries";
import { OPS, PROPERTY_SHAPES, VIEW_ENTRY_OPS, f64, upstream, type OpCase } from "./helpers/op-table";

/**
 * Layout properties: random strided layouts (permuted, stepped, offset, expanded views of a
 * fresh tensor), random chains of the op table's view ops, and every op of the table on
 * non-contiguous inputs against the same op on contiguous copies.
 */

const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

// ------------------------------------------------------------------ 1. views

describe("views share storage and agree with nested-array references", () => {
  it("random chains of the table's view ops share storage (unless reshape must copy) and match the reference", () => {
    // Start from a random strided view (permuted, stepped, offset, expanded) of a fresh tensor, then
    // apply random view ops; every step is checked against the same op on plain arrays.
    const start = shapeArb().chain((s) => viewInputArb(s));
    fc.assert(
      fc.property(start, fc.array(viewStepArb(VIEW_ENTRY_OPS), { minLength: 1, maxLength: 6 }), (inp, steps) => {
        const baseShape = layoutBaseShape(inp.shape, inp.layout);
        const base = tensor(inp.data, { shape: baseShape, dtype: "float64" });
        let t = base;
        let want: Ref = { shape: baseShape, data: inp.data };
        let copied = false;
        const trace: string[] = [`x = tensor(shape ${fmt(baseShape)})`];
        const check = (v: ConcreteView): void => {
          const target = reshapeLikeTarget(v, t.shape);
          const viewable = target === null || canView(t, target);
          const where = [...trace, describeView(v)].join(".");
          if (v.op === "view" && !viewable) {
            expect(() => applyView(t, v), `${where} cannot be a view`).toThrow(ShapeError);
            return;
          }
          trace.push(describeView(v));
          const next = applyView(t, v);
          want = applyViewRef(want, v);
          if (viewable) expect(next.storage, `${where} should share storage`).toBe(t.storage);
          else expect(next.storage, `${where} cannot be a view, so it copies`).not.toBe(t.storage);
          copied ||= !viewable;
          expect(next.shape, where).toEqual(want.shape);
          expectNestedClose(next.toArray(), toNested(want), where);
          t = next;
        };
        layoutSteps(inp.shape, inp.layout).forEach(check);
        for (const step of steps) {
          const v = concreteView(step, t.shape);
          if (v !== null) check(v);
        }
        expect(t.storage === base.storage).toBe(!copied);
      }),
      { numRuns: 400 },
    );
  });

  it("a contiguous tensor reshapes and views to any shape of its size without copying", () => {
    fc.assert(
      fc.property(refArb(), reshapeSpecArb, (ref, spec) => {
        const x = f64(ref);
        const { target, resolved } = reshapeTarget(numelOf(ref.shape), spec);
        const r = x.reshape(target);
        const v = x.view(target);
        expect(r.shape).toEqual(resolved);
        expect(v.shape).toEqual(resolved);
        expect(r.storage).toBe(x.storage);
        expect(v.storage).toBe(x.storage);
        expect(flatValues(r.toArray())).toEqual(flatValues(x.toArray()));
      }),
      { numRuns: 200 },
    );
  });

  it("x.reshape(s).reshape(x.shape) equals x for any s of the same size, -1 included, on any layout", () => {
    const input = shapeArb().chain((s) => viewInputArb(s));
    fc.assert(
      fc.property(input, reshapeSpecArb, (inp, spec) => {
        const base = tensor(inp.data, { shape: layoutBaseShape(inp.shape, inp.layout), dtype: "float64" });
        const x = applyLayout(base, inp.shape, inp.layout);
        const { target, resolved } = reshapeTarget(x.numel, spec);
        const y = x.reshape(target);
        expect(y.shape).toEqual(resolved);
        expect(flatValues(y.toArray())).toEqual(flatValues(x.toArray()));
        const back = y.reshape(x.shape);
        expect(back.shape).toEqual(x.shape);
        expectNestedClose(back.toArray(), x.toArray(), `reshape ${fmt(x.shape)} -> ${fmt(target)} -> back`);
      }),
      { numRuns: 300 },
    );
  });
});

// ------------------------------------------------------------------ 2. non-contiguous == contiguous

/** What an op gave: its values and the gradients of the base tensors, or the error it threw. */
type Outcome =
  | { error: string }
  | { shape: readonly number[]; dtype: string; values: NestedArray; grads: (NestedArray | null)[] };

/**
 * Run `fn` on the views described by `inputs` (non-contiguous: permuted, stepped, offset,
 * expanded), or on `.contiguous()` copies of the same views; backpropagate a seeded upstream
 * gradient into the base tensors.
 */
function runOnViews(inputs: readonly ViewInput[], fn: (...xs: Tensor[]) => Tensor, seed: number, contiguous: boolean): Outcome {
  const bases = inputs.map((inp) =>
    tensor(inp.data, { shape: layoutBaseShape(inp.shape, inp.layout), dtype: "float64", requiresGrad: true }),
  );
  const views = bases.map((b, i) => {
    const v = applyLayout(b, inputs[i].shape, inputs[i].layout);
    expect(v.shape).toEqual(inputs[i].shape);
    return contiguous ? v.contiguous() : v;
  });
  let out: Tensor;
  try {
    out = fn(...views);
  } catch (e) {
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
  const values = out.toArray();
  if (out.requiresGrad) out.backward(upstream(out, seed));
  return { shape: out.shape, dtype: out.dtype, values, grads: bases.map((b) => b.grad?.toArray() ?? null) };
}

function expectSameOnContiguous(inputs: readonly ViewInput[], fn: (...xs: Tensor[]) => Tensor, seed: number, what: string): void {
  const strided = runOnViews(inputs, fn, seed, false);
  const dense = runOnViews(inputs, fn, seed, true);
  if ("error" in dense || "error" in strided) {
    expect(strided, what).toEqual(dense);
    return;
  }
  expect(strided.shape, what).toEqual(dense.shape);
  expect(strided.dtype, what).toBe(dense.dtype);
  expectNestedClose(strided.values, dense.values, `${what}: values`, 1e-12, 1e-12);
  dense.grads.forEach((g, i) => {
    const s = strided.grads[i];
    if (g === null || s === null) expect(s, `${what}: grad ${i}`).toEqual(g);
    else expectNestedClose(s, g, `${what}: grad of input ${i}`, 1e-12, 1e-12);
  });
}

/** A case with a random non-contiguous layout for each input, values from its domain. */
const withViews = (c: OpCase): fc.Arbitrary<[OpCase, ViewInput[]]> =>
  fc.tuple(fc.constant(c), fc.tuple(...c.shapes.map((shape, i) => viewInputArb(shape, domainArb(c.domains[i])))));

describe("ops give the same values and gradients on non-contiguous views as on contiguous copies", () => {
  for (const op of OPS.filter((e) => e.strided)) {
    it(`${op.name}`, () => {
      fc.assert(
        fc.property(op.cases(PROPERTY_SHAPES).chain(withViews), seedArb, ([c, inputs], seed) => {
          expectSameOnContiguous(inputs, c.call, seed, c.label);
        }),
        { numRuns: op.layoutRuns },
      );
    });
  }
});
