import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ShapeError, Tensor, gradcheck, tensor, type NestedArray } from "../src/index";
import {
  type ConcreteView,
  type DimsSpec,
  type Ref,
  type Shape,
  type ValueKind,
  type ViewInput,
  type ViewStep,
  allIndices,
  applyLayout,
  applyView,
  applyViewRef,
  broadcastIndex,
  broadcastPairArb,
  canView,
  compatibleShapeArb,
  concreteView,
  dataArb,
  describeView,
  dimArb,
  dimsArg,
  dimsSpecArb,
  expectNestedClose,
  flatValues,
  fmt,
  incompatiblePairArb,
  layoutBaseShape,
  layoutSteps,
  npBroadcast,
  numelOf,
  quarterArb,
  ravel,
  reducedDims,
  refArb,
  reshapeSpecArb,
  reshapeTarget,
  reshapeLikeTarget,
  shapeArb,
  toNested,
  valuesOf,
  viewInputArb,
  viewStepArb,
} from "./helpers/arbitraries";

/**
 * Property tests: random shapes (rank 0..4, sizes 1..4 and now and then 0), random float64
 * data, random strided layouts, checked against plain-JS references (nested arrays and
 * explicit index loops) and against the library itself on contiguous copies.
 */

const f64 = (ref: Ref, requiresGrad = false): Tensor =>
  tensor(ref.data, { shape: ref.shape, dtype: "float64", requiresGrad });

/** A random upstream gradient for `t`, reproducible from a seed. */
const upstream = (t: Tensor, seed: number): Tensor =>
  tensor(valuesOf("any", t.numel, seed), { shape: t.shape, dtype: "float64" });

const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

// ------------------------------------------------------------------ 1. broadcasting

describe("broadcasting follows NumPy's rules", () => {
  const binaryRefs: Record<string, (x: number, y: number) => number> = {
    add: (x, y) => x + y,
    sub: (x, y) => x - y,
    mul: (x, y) => x * y,
    div: (x, y) => x / y,
    pow: (x, y) => Math.pow(x, y),
    maximum: (x, y) => Math.max(x, y),
    minimum: (x, y) => Math.min(x, y),
    gt: (x, y) => (x > y ? 1 : 0),
    lt: (x, y) => (x < y ? 1 : 0),
    ge: (x, y) => (x >= y ? 1 : 0),
    le: (x, y) => (x <= y ? 1 : 0),
    eq: (x, y) => (x === y ? 1 : 0),
    ne: (x, y) => (x !== y ? 1 : 0),
  };
  type BinaryName = keyof typeof binaryRefs;
  const callBinary = (name: BinaryName, a: Tensor, b: Tensor): Tensor => {
    switch (name) {
      case "add": return a.add(b);
      case "sub": return a.sub(b);
      case "mul": return a.mul(b);
      case "div": return a.div(b);
      case "pow": return a.pow(b);
      case "maximum": return a.maximum(b);
      case "minimum": return a.minimum(b);
      case "gt": return a.gt(b);
      case "lt": return a.lt(b);
      case "ge": return a.ge(b);
      case "le": return a.le(b);
      case "eq": return a.eq(b);
      default: return a.ne(b);
    }
  };

  /** The reference: an explicit loop over the broadcast shape, reading each operand at its expanded index. */
  const broadcastRef = (a: Ref, b: Ref, f: (x: number, y: number) => number): Ref => {
    const shape = npBroadcast(a.shape, b.shape);
    if (shape === null) throw new Error(`test bug: ${fmt(a.shape)} and ${fmt(b.shape)} do not broadcast`);
    const data = allIndices(shape).map((idx) =>
      f(a.data[ravel(broadcastIndex(idx, a.shape), a.shape)], b.data[ravel(broadcastIndex(idx, b.shape), b.shape)]),
    );
    return { shape, data };
  };

  const pairArb = broadcastPairArb().chain(([sa, sb]) => fc.tuple(dataArb(sa), dataArb(sb)).map(([da, db]) => ({
    a: { shape: sa, data: da },
    b: { shape: sb, data: db },
  })));

  it("add broadcasts like NumPy for random compatible shapes", () => {
    fc.assert(
      fc.property(pairArb, ({ a, b }) => {
        const want = broadcastRef(a, b, (x, y) => x + y);
        const got = f64(a).add(f64(b));
        expect(got.shape).toEqual(want.shape);
        expectNestedClose(got.toArray(), toNested(want), `${fmt(a.shape)} + ${fmt(b.shape)}`);
      }),
      { numRuns: 300 },
    );
  });

  it("every binary op and comparison broadcasts the same way, either operand first", () => {
    fc.assert(
      fc.property(pairArb, fc.constantFrom(...(Object.keys(binaryRefs) as BinaryName[])), ({ a, b }, name) => {
        const want = broadcastRef(a, b, binaryRefs[name]);
        const got = callBinary(name, f64(a), f64(b));
        expect(got.shape).toEqual(want.shape);
        expect(got.dtype).toBe(["gt", "lt", "ge", "le", "eq", "ne"].includes(name) ? "bool" : "float64");
        expectNestedClose(got.toArray(), toNested(want), `${fmt(a.shape)} ${name} ${fmt(b.shape)}`);
      }),
      { numRuns: 200 },
    );
  });

  it("incompatible shapes throw a ShapeError whose message names the op and both shapes", () => {
    fc.assert(
      fc.property(incompatiblePairArb(), fc.constantFrom<BinaryName>("add", "sub", "mul", "maximum", "gt", "eq"), ([sa, sb], name) => {
        expect(npBroadcast(sa, sb)).toBeNull();
        let caught: unknown = null;
        try {
          callBinary(name, tensor(new Float64Array(numelOf(sa)), { shape: sa }), tensor(new Float64Array(numelOf(sb)), { shape: sb }));
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(ShapeError);
        const message = (caught as ShapeError).message;
        expect(message).toContain(name);
        expect(message).toContain(fmt(sa));
        expect(message).toContain(fmt(sb));
      }),
      { numRuns: 200 },
    );
  });

  it("add and mul sum the upstream gradient back to each input's shape", () => {
    fc.assert(
      fc.property(pairArb, fc.boolean(), seedArb, ({ a, b }, useMul, seed) => {
        const ta = f64(a, true);
        const tb = f64(b, true);
        const out = useMul ? ta.mul(tb) : ta.add(tb);
        const g = upstream(out, seed);
        out.backward(g);
        // Reference: every output position adds its upstream (times the other operand for mul) into its source.
        const ga = new Array<number>(a.data.length).fill(0);
        const gb = new Array<number>(b.data.length).fill(0);
        const gv = g.toTypedArray();
        allIndices(out.shape).forEach((idx, o) => {
          const ia = ravel(broadcastIndex(idx, a.shape), a.shape);
          const ib = ravel(broadcastIndex(idx, b.shape), b.shape);
          ga[ia] += useMul ? gv[o] * b.data[ib] : gv[o];
          gb[ib] += useMul ? gv[o] * a.data[ia] : gv[o];
        });
        expect(ta.grad?.shape).toEqual(a.shape);
        expect(tb.grad?.shape).toEqual(b.shape);
        expectNestedClose(ta.grad?.toArray() ?? [], toNested({ shape: a.shape, data: ga }), "a.grad", 1e-12, 1e-12);
        expectNestedClose(tb.grad?.toArray() ?? [], toNested({ shape: b.shape, data: gb }), "b.grad", 1e-12, 1e-12);
      }),
      { numRuns: 200 },
    );
  });
});

// ------------------------------------------------------------------ 2. views

describe("views share storage and agree with nested-array references", () => {
  it("random view chains share storage (unless reshape must copy) and match the reference", () => {
    // Start from a random strided view (permuted, stepped, offset, expanded) of a fresh tensor, then
    // apply random view ops; every step is checked against the same op on plain arrays.
    const start = shapeArb().chain((s) => viewInputArb(s));
    fc.assert(
      fc.property(start, fc.array(viewStepArb, { minLength: 1, maxLength: 6 }), (inp, steps) => {
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
});

// ------------------------------------------------------------------ 3. non-contiguous == contiguous

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

describe("ops give the same values and gradients on non-contiguous views as on contiguous copies", () => {
  const viewArb = (shapes = shapeArb()) => shapes.chain((s) => viewInputArb(s));

  const unaryOps: Record<string, (x: Tensor) => Tensor> = {
    neg: (x) => x.neg(),
    exp: (x) => x.exp(),
    "log(abs+1)": (x) => x.abs().add(1).log(),
    "sqrt(abs)": (x) => x.abs().sqrt(),
    abs: (x) => x.abs(),
    tanh: (x) => x.tanh(),
    sigmoid: (x) => x.sigmoid(),
    relu: (x) => x.relu(),
    gelu: (x) => x.gelu(),
    "clamp(-0.5, 1)": (x) => x.clamp(-0.5, 1),
    "clamp(null, 0.25)": (x) => x.clamp(null, 0.25),
    "pow(2)": (x) => x.pow(2),
    "mul(2.5)": (x) => x.mul(2.5),
    "gt(0)": (x) => x.gt(0),
  };

  it("elementwise unary ops", () => {
    fc.assert(
      fc.property(viewArb(), fc.constantFrom(...Object.keys(unaryOps)), seedArb, (x, name, seed) => {
        expectSameOnContiguous([x], unaryOps[name], seed, name);
      }),
      { numRuns: 300 },
    );
  });

  const binaryOps: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
    add: (a, b) => a.add(b),
    sub: (a, b) => a.sub(b),
    mul: (a, b) => a.mul(b),
    div: (a, b) => a.div(b),
    pow: (a, b) => a.pow(b),
    maximum: (a, b) => a.maximum(b),
    minimum: (a, b) => a.minimum(b),
    gt: (a, b) => a.gt(b),
    lt: (a, b) => a.lt(b),
    ge: (a, b) => a.ge(b),
    le: (a, b) => a.le(b),
    eq: (a, b) => a.eq(b),
    ne: (a, b) => a.ne(b),
  };

  it("elementwise binary ops and comparisons, with broadcasting", () => {
    const pair = shapeArb().chain((sa) =>
      compatibleShapeArb(sa).chain((sb) => fc.tuple(viewInputArb(sa), viewInputArb(sb), fc.boolean())),
    );
    fc.assert(
      fc.property(pair, fc.constantFrom(...Object.keys(binaryOps)), seedArb, ([a, b, swap], name, seed) => {
        expectSameOnContiguous(swap ? [b, a] : [a, b], binaryOps[name], seed, name);
      }),
      { numRuns: 300 },
    );
  });

  type ReductionName = "sum" | "mean" | "amax" | "amin" | "var" | "argmax";
  const reduce = (name: ReductionName, x: Tensor, spec: DimsSpec): Tensor => {
    const dim = dimsArg(spec, x.ndim);
    switch (name) {
      case "sum": return x.sum(dim, spec.keepdim);
      case "mean": return x.mean(dim, spec.keepdim);
      case "amax": return x.amax(dim, spec.keepdim);
      case "amin": return x.amin(dim, spec.keepdim);
      case "var": return x.var(dim, spec.keepdim);
      case "argmax": return x.argmax(typeof dim === "number" ? dim : undefined, spec.keepdim);
    }
  };

  it("reductions over random dims, with and without keepdim", () => {
    const names: ReductionName[] = ["sum", "mean", "amax", "amin", "var", "argmax"];
    fc.assert(
      fc.property(viewArb(), fc.constantFrom(...names), dimsSpecArb, seedArb, (x, name, spec, seed) => {
        const label = `${name}(${JSON.stringify(dimsArg(spec, x.shape.length))}, keepdim ${spec.keepdim}) of ${fmt(x.shape)}`;
        expectSameOnContiguous([x], (t) => reduce(name, t, spec), seed, label);
      }),
      { numRuns: 300 },
    );
  });

  it("softmax and logSoftmax over a random dim", () => {
    fc.assert(
      fc.property(viewArb(), fc.boolean(), fc.nat(7), fc.boolean(), seedArb, (x, log, d, negative, seed) => {
        const r = x.shape.length;
        const dim = r === 0 ? (negative ? -1 : 0) : negative ? (d % r) - r : d % r;
        const fn = (t: Tensor) => (log ? t.logSoftmax(dim) : t.softmax(dim));
        expectSameOnContiguous([x], fn, seed, `${log ? "logSoftmax" : "softmax"}(${dim}) of ${fmt(x.shape)}`);
      }),
      { numRuns: 250 },
    );
  });

  it("matmul: vectors, matrices and broadcast batch dims", () => {
    fc.assert(
      fc.property(
        matmulShapesArb(4).chain(([sa, sb]) => fc.tuple(viewInputArb(sa), viewInputArb(sb))),
        seedArb,
        ([a, b], seed) => {
          expectSameOnContiguous([a, b], (x, y) => x.matmul(y), seed, `${fmt(a.shape)} @ ${fmt(b.shape)}`);
        },
      ),
      { numRuns: 250 },
    );
  });
});

/** Shapes for matmul: 1-D or 2-D operands and batched ones whose batch dims broadcast. */
function matmulShapesArb(maxDim: number): fc.Arbitrary<[Shape, Shape]> {
  const dim = dimArb(maxDim);
  return fc
    .record({
      kind: fc.constantFrom("vv", "mv", "vm", "mm"),
      batch: broadcastPairArb({ maxRank: 2, maxDim: 3 }),
      m: dim,
      k: dim,
      n: dim,
    })
    .map(({ kind, batch: [ba, bb], m, k, n }): [Shape, Shape] => {
      const left = kind === "vv" || kind === "vm" ? [k] : [...ba, m, k];
      const right = kind === "vv" || kind === "mv" ? [k] : [...bb, k, n];
      return [left, right];
    });
}

// ------------------------------------------------------------------ 4. reductions

/** Reference reduction: loop over every input index, fold it into its output slot. */
function reduceRef(x: Ref, dims: readonly number[], keepdim: boolean, init: number, fold: (acc: number, v: number) => number): Ref {
  const kept = x.shape.map((s, d) => (dims.includes(d) ? 1 : s));
  const acc = new Array<number>(numelOf(kept)).fill(init);
  allIndices(x.shape).forEach((idx, i) => {
    const o = ravel(idx.map((v, d) => (dims.includes(d) ? 0 : v)), kept);
    acc[o] = fold(acc[o], x.data[i]);
  });
  return { shape: keepdim ? kept : x.shape.filter((_, d) => !dims.includes(d)), data: acc };
}

/** Reference argmax: the first index of the largest value along dim (of the flattened values when omitted). */
function argmaxRef(x: Ref, dim: number | undefined, keepdim: boolean): Ref {
  const r = x.shape.length;
  if (dim === undefined || r === 0) {
    let best = 0;
    x.data.forEach((v, i) => {
      if (v > x.data[best]) best = i;
    });
    return { shape: keepdim ? x.shape.map(() => 1) : [], data: [best] };
  }
  const d = dim < 0 ? dim + r : dim;
  const kept = x.shape.map((s, k) => (k === d ? 1 : s));
  const data = allIndices(kept).map((idx) => {
    const at = (j: number) => x.data[ravel(idx.map((v, k) => (k === d ? j : v)), x.shape)];
    let best = 0;
    for (let j = 1; j < x.shape[d]; j++) if (at(j) > at(best)) best = j;
    return best;
  });
  return { shape: keepdim ? kept : x.shape.filter((_, k) => k !== d), data };
}

describe("reductions agree with reference loops", () => {
  const quarters = refArb(shapeArb(), quarterArb);

  it("sum over random dims equals a reference loop (exact on quarter-integer data)", () => {
    fc.assert(
      fc.property(quarters, dimsSpecArb, (x, spec) => {
        const dim = dimsArg(spec, x.shape.length);
        const want = reduceRef(x, reducedDims(dim, x.shape.length), spec.keepdim, 0, (a, v) => a + v);
        const got = f64(x).sum(dim, spec.keepdim);
        expect(got.shape).toEqual(want.shape);
        expectNestedClose(got.toArray(), toNested(want), `sum(${JSON.stringify(dim)}) of ${fmt(x.shape)}`);
      }),
      { numRuns: 300 },
    );
  });

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

  it("amax, amin and argmax match reference loops, and fail only when a reduced dim is empty (as torch)", () => {
    fc.assert(
      fc.property(refArb(), dimsSpecArb, fc.constantFrom("amax", "amin", "argmax"), (x, spec, name) => {
        const r = x.shape.length;
        const t = f64(x);
        let dim = dimsArg(spec, r);
        if (name === "argmax" && typeof dim !== "number") dim = undefined;
        const dims = reducedDims(dim, r);
        // torch: an empty input is an error only if a reduced dim is empty (or every dim is reduced).
        const fails = numelOf(x.shape) === 0 && (dim === undefined || dims.some((d) => x.shape[d] === 0));
        const run = () =>
          name === "amax" ? t.amax(dim, spec.keepdim)
          : name === "amin" ? t.amin(dim, spec.keepdim)
          : t.argmax(typeof dim === "number" ? dim : undefined, spec.keepdim);
        const label = `${name}(${JSON.stringify(dim)}, keepdim ${spec.keepdim}) of ${fmt(x.shape)}`;
        if (fails) {
          expect(run, label).toThrow();
          return;
        }
        const want =
          name === "argmax"
            ? argmaxRef(x, typeof dim === "number" ? dim : undefined, spec.keepdim)
            : reduceRef(x, dims, spec.keepdim, name === "amax" ? -Infinity : Infinity, name === "amax" ? Math.max : Math.min);
        const got = run();
        expect(got.shape, label).toEqual(want.shape);
        expectNestedClose(got.toArray(), toNested(want), label);
      }),
      { numRuns: 300 },
    );
  });
});

// ------------------------------------------------------------------ 5. gradcheck

/** One gradcheck case: the op, its input shapes and value kinds, and the op's parameters. */
interface GradCase {
  op: GradOp;
  shapes: Shape[];
  kinds: ValueKind[];
  seed: number;
  dims: DimsSpec;
  dim: number;
  exponent: number;
  clampLo: number | null;
  clampHi: number | null;
  steps: ViewStep[];
}

type GradOp =
  | "add" | "sub" | "mul" | "div" | "pow" | "powScalar" | "maximum" | "minimum"
  | "neg" | "exp" | "log" | "sqrt" | "abs" | "tanh" | "sigmoid" | "relu" | "gelu" | "clamp"
  | "sum" | "mean" | "var" | "amax" | "amin" | "softmax" | "logSoftmax" | "matmul" | "views";

const smallShape = shapeArb({ maxRank: 3, maxDim: 3 });
const smallNonEmpty = shapeArb({ maxRank: 3, maxDim: 3, zeros: false });

/** Input shapes and value kinds of each op (values keep clear of kinks and of log/sqrt/pow's domain edge). */
const gradInputs: Record<GradOp, fc.Arbitrary<{ shapes: Shape[]; kinds: ValueKind[] }>> = {
  add: broadcastPairArb({ maxRank: 3, maxDim: 3 }).map((s) => ({ shapes: s, kinds: ["any", "any"] })),
  sub: broadcastPairArb({ maxRank: 3, maxDim: 3 }).map((s) => ({ shapes: s, kinds: ["any", "any"] })),
  mul: broadcastPairArb({ maxRank: 3, maxDim: 3 }).map((s) => ({ shapes: s, kinds: ["any", "any"] })),
  div: broadcastPairArb({ maxRank: 3, maxDim: 3 }).map((s) => ({ shapes: s, kinds: ["any", "pos"] })),
  pow: broadcastPairArb({ maxRank: 3, maxDim: 3 }).map((s) => ({ shapes: s, kinds: ["pos", "any"] })),
  powScalar: smallShape.map((s) => ({ shapes: [s], kinds: ["pos"] })),
  maximum: broadcastPairArb({ maxRank: 3, maxDim: 3 }).chain((s) =>
    fc.boolean().map((lowFirst) => ({ shapes: s, kinds: lowFirst ? ["gridLow", "gridHigh"] : ["gridHigh", "gridLow"] })),
  ),
  minimum: broadcastPairArb({ maxRank: 3, maxDim: 3 }).chain((s) =>
    fc.boolean().map((lowFirst) => ({ shapes: s, kinds: lowFirst ? ["gridLow", "gridHigh"] : ["gridHigh", "gridLow"] })),
  ),
  neg: smallShape.map((s) => ({ shapes: [s], kinds: ["any"] })),
  exp: smallShape.map((s) => ({ shapes: [s], kinds: ["any"] })),
  log: smallShape.map((s) => ({ shapes: [s], kinds: ["pos"] })),
  sqrt: smallShape.map((s) => ({ shapes: [s], kinds: ["pos"] })),
  abs: smallShape.map((s) => ({ shapes: [s], kinds: ["away"] })),
  tanh: smallShape.map((s) => ({ shapes: [s], kinds: ["any"] })),
  sigmoid: smallShape.map((s) => ({ shapes: [s], kinds: ["any"] })),
  relu: smallShape.map((s) => ({ shapes: [s], kinds: ["away"] })),
  gelu: smallShape.map((s) => ({ shapes: [s], kinds: ["any"] })),
  clamp: smallShape.map((s) => ({ shapes: [s], kinds: ["away"] })),
  sum: smallShape.map((s) => ({ shapes: [s], kinds: ["any"] })),
  mean: smallNonEmpty.map((s) => ({ shapes: [s], kinds: ["any"] })),
  var: smallNonEmpty.map((s) => ({ shapes: [s], kinds: ["any"] })),
  amax: smallNonEmpty.map((s) => ({ shapes: [s], kinds: ["distinct"] })),
  amin: smallNonEmpty.map((s) => ({ shapes: [s], kinds: ["distinct"] })),
  softmax: smallShape.map((s) => ({ shapes: [s], kinds: ["any"] })),
  logSoftmax: smallShape.map((s) => ({ shapes: [s], kinds: ["any"] })),
  matmul: matmulShapesArb(3).map((s) => ({ shapes: s, kinds: ["any", "any"] })),
  views: smallShape.map((s) => ({ shapes: [s], kinds: ["any"] })),
};

function gradCaseArb(op: GradOp): fc.Arbitrary<GradCase> {
  const halfInteger = fc.integer({ min: -3, max: 2 }).map((v) => v + 0.5);
  return fc
    .record({
      inputs: gradInputs[op],
      seed: seedArb,
      dims: dimsSpecArb,
      dim: fc.nat(7),
      exponent: fc.constantFrom(-1.5, -1, 0.5, 2, 3, 2.5),
      clamp: fc.tuple(fc.option(halfInteger, { nil: null }), fc.option(halfInteger, { nil: null }), fc.nat(2)),
      steps: fc.array(viewStepArb, { minLength: 1, maxLength: 4 }),
    })
    .map(({ inputs, clamp: [lo, hi, widen], ...rest }) => {
      // Bounds on half-integers (the "away" values keep 0.15 from them); at least one given, lo < hi.
      const clampLo = lo ?? (hi === null ? -0.5 : null);
      const clampHi = hi === null ? null : clampLo === null ? hi : Math.max(hi, clampLo + 1 + widen);
      return { op, ...inputs, ...rest, clampLo, clampHi };
    });
}

function gradFn(c: GradCase): (...xs: Tensor[]) => Tensor {
  const dimOf = (x: Tensor) => (x.ndim === 0 ? 0 : c.dim % x.ndim);
  switch (c.op) {
    case "add": return (a, b) => a.add(b);
    case "sub": return (a, b) => a.sub(b);
    case "mul": return (a, b) => a.mul(b);
    case "div": return (a, b) => a.div(b);
    case "pow": return (a, b) => a.pow(b);
    case "powScalar": return (a) => a.pow(c.exponent);
    case "maximum": return (a, b) => a.maximum(b);
    case "minimum": return (a, b) => a.minimum(b);
    case "neg": return (a) => a.neg();
    case "exp": return (a) => a.exp();
    case "log": return (a) => a.log();
    case "sqrt": return (a) => a.sqrt();
    case "abs": return (a) => a.abs();
    case "tanh": return (a) => a.tanh();
    case "sigmoid": return (a) => a.sigmoid();
    case "relu": return (a) => a.relu();
    case "gelu": return (a) => a.gelu();
    case "clamp": return (a) => a.clamp(c.clampLo, c.clampHi);
    case "sum": return (a) => a.sum(dimsArg(c.dims, a.ndim), c.dims.keepdim);
    case "mean": return (a) => a.mean(dimsArg(c.dims, a.ndim), c.dims.keepdim);
    case "var": return (a) => {
      const dim = dimsArg(c.dims, a.ndim);
      const count = reducedDims(dim, a.ndim).reduce((p, d) => p * a.shape[d], 1);
      return a.var(dim, c.dims.keepdim, count > 1);
    };
    case "amax": return (a) => a.amax(dimsArg(c.dims, a.ndim), c.dims.keepdim);
    case "amin": return (a) => a.amin(dimsArg(c.dims, a.ndim), c.dims.keepdim);
    case "softmax": return (a) => a.softmax(dimOf(a));
    case "logSoftmax": return (a) => a.logSoftmax(dimOf(a));
    case "matmul": return (a, b) => a.matmul(b);
    case "views": return (a) => {
      // A random view chain (reshape may copy; a view that cannot be one is skipped), then a product.
      let t = a;
      for (const step of c.steps) {
        const v = concreteView(step, t.shape);
        if (v === null || (v.op === "view" && !canView(t, v.resolved))) continue;
        t = applyView(t, v);
      }
      return t.mul(t.add(1));
    };
  }
}

describe("gradcheck holds at random points for every differentiable op", () => {
  const ops = Object.keys(gradInputs) as GradOp[];
  for (const op of ops) {
    it(`${op}: analytical gradients match finite differences on random float64 inputs`, () => {
      fc.assert(
        fc.property(gradCaseArb(op), (c) => {
          const inputs = c.shapes.map((shape, i) =>
            tensor(valuesOf(c.kinds[i], numelOf(shape), c.seed + i), { shape, dtype: "float64", requiresGrad: true }),
          );
          expect(gradcheck(gradFn(c), inputs)).toBe(true);
        }),
        { numRuns: 25 },
      );
    });
  }
});

// ------------------------------------------------------------------ 6. reshape round trip

describe("reshape round-trips", () => {
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
