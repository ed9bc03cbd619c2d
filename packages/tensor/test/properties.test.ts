import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ShapeError, tensor } from "../src/index";
import {
  type Ref,
  allIndices,
  broadcastIndex,
  dataArb,
  dimsArg,
  dimsSpecArb,
  domainArb,
  expectNestedClose,
  flatValues,
  fmt,
  incompatiblePairArb,
  npBroadcast,
  numelOf,
  quarterArb,
  ravel,
  reducedDims,
  refArb,
  shapeArb,
  toNested,
  valuesOf,
} from "./helpers/arbitraries";
import { OPS, PROPERTY_SHAPES, f64, upstream, type OpCase } from "./helpers/op-table";

/**
 * Property tests on values: random shapes (rank 0..4, sizes 1..4 and now and then 0) and
 * random float64 data, checked against plain-JS references (nested arrays and explicit index
 * loops). Every op comes from the op table (helpers/op-table.ts); the layout properties
 * (views, non-contiguous inputs) are in properties-views.test.ts, gradcheck in gradcheck.test.ts.
 */

const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** A case of `op` with data for each input drawn from the input's value domain. */
const withData = (c: OpCase): fc.Arbitrary<[OpCase, Ref[]]> =>
  fc.tuple(
    fc.constant(c),
    fc.tuple(...c.shapes.map((shape, i) => dataArb(shape, domainArb(c.domains[i])).map((data): Ref => ({ shape, data })))),
  );

// ------------------------------------------------------------------ 1. every op against its reference

describe("every op of the table agrees with its plain-array reference", () => {
  for (const op of OPS) {
    const exact = op.tol.atol === 0 && op.tol.rtol === 0;
    it(`${op.name}: shape, dtype and values (${exact ? "exact" : `within ${op.tol.atol} + ${op.tol.rtol}|x|`}), or the same refusal`, () => {
      fc.assert(
        fc.property(op.cases(PROPERTY_SHAPES).chain(withData), ([c, refs]) => {
          const want = c.ref(...refs);
          const run = () => c.call(...refs.map((r) => f64(r)));
          if (want === null) {
            expect(run, `${c.label} should throw`).toThrow();
            return;
          }
          const got = run();
          expect(got.shape, c.label).toEqual(want.shape);
          expect(got.dtype, c.label).toBe(c.dtype);
          expectNestedClose(got.toArray(), toNested(want), c.label, op.tol.atol, op.tol.rtol);
        }),
        { numRuns: op.runs },
      );
    });
  }
});

// ------------------------------------------------------------------ 2. broadcasting

describe("broadcasting follows NumPy's rules", () => {
  const elementwise = OPS.filter((e) => e.broadcasts && e.arity === 2 && (e.kind === "binary" || e.kind === "inplace"));

  for (const op of elementwise) {
    it(`${op.name}: incompatible shapes throw a ShapeError whose message names the op and both shapes`, () => {
      fc.assert(
        fc.property(op.cases(PROPERTY_SHAPES), incompatiblePairArb(), (c, [sa, sb]) => {
          fc.pre(c.shapes.length === 2); // two tensors (not a tensor and a number)
          expect(npBroadcast(sa, sb)).toBeNull();
          let caught: unknown = null;
          try {
            c.call(tensor(new Float64Array(numelOf(sa)), { shape: sa }), tensor(new Float64Array(numelOf(sb)), { shape: sb }));
          } catch (e) {
            caught = e;
          }
          expect(caught, `${op.name} of ${fmt(sa)} and ${fmt(sb)}`).toBeInstanceOf(ShapeError);
          const message = (caught as ShapeError).message;
          expect(message).toContain(op.name);
          expect(message).toContain(fmt(sa));
          expect(message).toContain(fmt(sb));
        }),
        { numRuns: 40 },
      );
    });
  }

  for (const op of OPS.filter((e) => e.partials !== undefined)) {
    const partials = op.partials!;
    it(`${op.name}: sums the upstream gradient back to each input's shape`, () => {
      fc.assert(
        fc.property(op.cases(PROPERTY_SHAPES), seedArb, (c, seed) => {
          fc.pre(c.shapes.length === 2);
          const [a, b] = c.shapes.map((shape, i): Ref => ({ shape, data: valuesOf(c.kinds[i], numelOf(shape), seed + i) }));
          const ta = f64(a, true);
          const tb = f64(b, true);
          const out = c.call(ta, tb);
          const g = upstream(out, seed);
          out.backward(g);
          // Reference: every output position adds its upstream times the partial into its source.
          const ga = new Array<number>(a.data.length).fill(0);
          const gb = new Array<number>(b.data.length).fill(0);
          const gv = g.toTypedArray();
          allIndices(out.shape).forEach((idx, o) => {
            const ia = ravel(broadcastIndex(idx, a.shape), a.shape);
            const ib = ravel(broadcastIndex(idx, b.shape), b.shape);
            const [da, db] = partials(a.data[ia], b.data[ib]);
            ga[ia] += gv[o] * da;
            gb[ib] += gv[o] * db;
          });
          expect(ta.grad?.shape).toEqual(a.shape);
          expect(tb.grad?.shape).toEqual(b.shape);
          expectNestedClose(ta.grad?.toArray() ?? [], toNested({ shape: a.shape, data: ga }), `${c.label}: a.grad`, 1e-12, 1e-12);
          expectNestedClose(tb.grad?.toArray() ?? [], toNested({ shape: b.shape, data: gb }), `${c.label}: b.grad`, 1e-12, 1e-12);
        }),
        { numRuns: 60 },
      );
    });
  }
});

// ------------------------------------------------------------------ 3. laws of the reductions

describe("reductions keep their laws", () => {
  const quarters = refArb(shapeArb(), quarterArb);

  it("a keepdim sum keeps every dim (reduced ones as 1), and summing it again gives the total", () => {
    fc.assert(
      fc.property(quarters, dimsSpecArb, (x, spec) => {
        const dim = dimsArg(spec, x.shape.length);
        const dims = reducedDims(dim, x.shape.length);
        const kept = f64(x).sum(dim, true);
        expect(kept.shape).toEqual(x.shape.map((s, d) => (dims.includes(d) ? 1 : s)));
        const total = x.data.reduce((a, v) => a + v, 0);
        expect(kept.sum().item()).toBe(total);
        expect(kept.sum(undefined, true).shape).toEqual(x.shape.map(() => 1));
      }),
      { numRuns: 200 },
    );
  });

  it("mean times the number of reduced elements equals sum (NaN when nothing is reduced over)", () => {
    fc.assert(
      fc.property(refArb(), dimsSpecArb, (x, spec) => {
        const dim = dimsArg(spec, x.shape.length);
        const count = reducedDims(dim, x.shape.length).reduce((p, d) => p * x.shape[d], 1);
        const t = f64(x);
        const mean = t.mean(dim, spec.keepdim);
        const sum = t.sum(dim, spec.keepdim);
        expect(mean.shape).toEqual(sum.shape);
        if (count === 0) {
          expect(flatValues(mean.toArray()).every(Number.isNaN)).toBe(true);
        } else {
          expectNestedClose(mean.mul(count).toArray(), sum.toArray(), "mean * count", 1e-12, 1e-12);
        }
      }),
      { numRuns: 200 },
    );
  });
});
