import fc from "fast-check";
import {
  Tensor, addmm, cat, elu, erf, gradcheck, gradgradcheck, hardtanh, leakyRelu, mish, mm, silu, softplus, stack, tensor, where, zeros,
  type DType, type GradcheckOptions,
} from "../../src/index";
import {
  type DimsSpec,
  type Domain,
  type Ref,
  type Shape,
  type ShapeOptions,
  type ValueKind,
  type ViewOpName,
  type ViewStep,
  type ConcreteView,
  applyView,
  applyViewRef,
  argmaxRef,
  broadcastPairArb,
  broadcastRef,
  catRef,
  compatibleShapeArb,
  concreteView,
  describeView,
  dimArb,
  dimsArg,
  dimsSpecArb,
  allIndices,
  fmt,
  gather,
  indexSelectRef,
  mapRef,
  matmulRef,
  matmulShapesArb,
  numelOf,
  ravel,
  reduceRef,
  reducedDims,
  scalarRef,
  shapeArb,
  softmaxRef,
  valuesOf,
  viewStepArb,
} from "./arbitraries";

/**
 * THE op table of the tensor tests: one entry per differentiable op (plus the comparisons
 * and argmax, which the value properties also cover). Every property test and every
 * gradcheck loops over it; test/op-table.test.ts fails if a differentiable `Tensor` method
 * has no entry. To add an op: add one entry here (a builder call below).
 *
 * An entry draws cases (`cases(shapeOptions)`): input shapes, each input's gradcheck values
 * (a `ValueKind`, clear of kinks and of the domain's edge) and value-test values (a
 * `Domain`), the call on tensors, and a reference on plain arrays where there is one.
 * `examples` are fixed cases that gradcheck.test.ts checks one by one.
 */

export interface OpCase {
  label: string;
  shapes: Shape[];
  /** How gradcheck draws each input's values. */
  kinds: ValueKind[];
  /** How the value properties draw each input's values. */
  domains: Domain[];
  /** Inputs handed over as `leaf.transpose(-2, -1)` (a non-contiguous view); examples only. */
  transposed?: boolean[];
  /** False where gradcheck would be meaningless (an unbiased variance of one element is NaN). */
  gradOk: boolean;
  /** The dtype of the result on float64 inputs. */
  dtype: DType;
  call: (...xs: Tensor[]) => Tensor;
  /** The result on plain arrays; null where the op must throw. */
  ref: (...xs: Ref[]) => Ref | null;
}

export type OpKind = "unary" | "binary" | "reduction" | "softmax" | "product" | "view" | "join" | "index" | "cast" | "inplace";

export interface OpEntry {
  name: string;
  kind: OpKind;
  /** The `Tensor` members this entry covers. */
  members: readonly (keyof Tensor)[];
  /** The exported free functions it covers. */
  functions: readonly string[];
  /** Tensor inputs (the last one repeats for cat and stack). */
  arity: number;
  /** Has a gradient (false: comparisons, argmax). */
  differentiable: boolean;
  /** Its tensor operands broadcast against each other. */
  broadcasts: boolean;
  /** Gives the same on any strided layout as on a contiguous copy (false: `view`, which may refuse). */
  strided: boolean;
  /** Tolerance of the reference check (0, 0: exact). */
  tol: { atol: number; rtol: number };
  gradOptions?: GradcheckOptions;
  /** gradcheck on non-empty shapes only (a reduction over nothing has no gradient to check). */
  nonEmptyForGrad: boolean;
  /** d/dx and d/dy of a binary elementwise op, for the broadcast-gradient property. */
  partials?: (x: number, y: number) => [number, number];
  /** The view op of `applyView` (the view-chain properties). */
  view?: ViewOpName;
  /** How many random cases the reference property draws. */
  runs: number;
  /** How many the non-contiguous-layout property draws. */
  layoutRuns: number;
  cases(shapes: ShapeOptions): fc.Arbitrary<OpCase>;
  examples: readonly OpCase[];
}

/** Shapes of the value properties and of the random gradchecks. */
export const PROPERTY_SHAPES: ShapeOptions = {};
export const GRAD_SHAPES: ShapeOptions = { maxRank: 3, maxDim: 3 };

// ------------------------------------------------------------------ the generic builder

interface Input {
  kind: ValueKind;
  domain: Domain;
}
const ANY: Input = { kind: "any", domain: "real" };

interface Example<P> {
  shapes: Shape[];
  params: P;
  transposed?: boolean[];
}

interface Spec<P> {
  name: string;
  kind: OpKind;
  members?: readonly (keyof Tensor)[];
  functions?: readonly string[];
  /** One per tensor input; the last one repeats for variadic ops (cat, stack). */
  inputs: readonly Input[];
  params: fc.Arbitrary<P>;
  shapes: (o: ShapeOptions, p: P) => fc.Arbitrary<Shape[]>;
  call: (xs: readonly Tensor[], p: P) => Tensor;
  label: (p: P, shapes: readonly Shape[]) => string;
  ref: (xs: readonly Ref[], p: P) => Ref | null;
  /** Per-case value kinds, when they depend on the parameters. */
  kinds?: (p: P) => ValueKind[];
  gradOk?: (shapes: readonly Shape[], p: P) => boolean;
  dtype?: (p: P) => DType;
  examples: readonly Example<P>[];
  differentiable?: boolean;
  broadcasts?: boolean;
  strided?: boolean;
  tol?: { atol: number; rtol: number };
  gradOptions?: GradcheckOptions;
  nonEmptyForGrad?: boolean;
  partials?: (x: number, y: number) => [number, number];
  view?: ViewOpName;
  runs?: number;
  layoutRuns?: number;
}

function define<P>(spec: Spec<P>): OpEntry {
  const at = <T>(list: readonly T[], i: number): T => list[Math.min(i, list.length - 1)];
  const make = (shapes: Shape[], p: P, transposed?: boolean[]): OpCase => {
    const kinds = spec.kinds?.(p) ?? spec.inputs.map((x) => x.kind);
    const ref = spec.ref;
    return {
      label: spec.label(p, shapes),
      shapes,
      kinds: shapes.map((_, i) => at(kinds, i)),
      domains: shapes.map((_, i) => at(spec.inputs, i).domain),
      transposed,
      gradOk: spec.gradOk?.(shapes, p) ?? true,
      dtype: spec.dtype?.(p) ?? "float64",
      call: (...xs) => spec.call(xs, p),
      ref: (...xs) => ref(xs, p),
    };
  };
  return {
    name: spec.name,
    kind: spec.kind,
    members: spec.members ?? [],
    functions: spec.functions ?? [],
    arity: spec.inputs.length,
    differentiable: spec.differentiable ?? true,
    broadcasts: spec.broadcasts ?? false,
    strided: spec.strided ?? true,
    tol: spec.tol ?? { atol: 0, rtol: 0 },
    gradOptions: spec.gradOptions,
    nonEmptyForGrad: spec.nonEmptyForGrad ?? false,
    partials: spec.partials,
    view: spec.view,
    runs: spec.runs ?? 30,
    layoutRuns: spec.layoutRuns ?? 25,
    cases: (o) => spec.params.chain((p) => spec.shapes(o, p).map((s) => make(s, p))),
    examples: spec.examples.map((e) => make(e.shapes, e.params, e.transposed)),
  };
}

const NONE = fc.constant(null);
const one = (o: ShapeOptions) => shapeArb(o).map((s) => [s]);
/** Half-integers: the "away" and grid values keep at least 0.1 from them. */
const halfInteger = fc.integer({ min: -3, max: 2 }).map((v) => v + 0.5);

// ------------------------------------------------------------------ unary elementwise

interface UnarySpec<P> {
  name: string;
  members: readonly (keyof Tensor)[];
  functions?: readonly string[];
  params: fc.Arbitrary<P>;
  call: (x: Tensor, p: P) => Tensor;
  f: (x: number, p: P) => number;
  label?: (p: P) => string;
  input?: Input;
  tol?: { atol: number; rtol: number };
  examples: readonly { shape: Shape; params: P }[];
}

function unary<P>(s: UnarySpec<P>): OpEntry {
  return define<P>({
    name: s.name,
    kind: "unary",
    members: s.members,
    functions: s.functions,
    inputs: [s.input ?? ANY],
    params: s.params,
    shapes: one,
    call: ([x], p) => s.call(x, p),
    label: (p, [shape]) => `${s.label?.(p) ?? s.name} of ${fmt(shape)}`,
    ref: ([x], p) => mapRef(x, (v) => s.f(v, p)),
    tol: s.tol,
    examples: s.examples.map((e) => ({ shapes: [e.shape], params: e.params })),
  });
}

const simple = (
  name: "neg" | "exp" | "log" | "sqrt" | "abs" | "tanh" | "sigmoid" | "relu" | "gelu" | "square",
  f: (x: number) => number,
  examples: Shape[],
  input: Input = ANY,
  tol?: { atol: number; rtol: number },
): OpEntry =>
  unary<null>({ name, members: [name], params: NONE, call: (x) => x[name](), f, input, tol, examples: examples.map((shape) => ({ shape, params: null })) });

const POS: Input = { kind: "pos", domain: "positive" };
const AWAY: Input = { kind: "away", domain: "real" };
const CLOSE = { atol: 1e-15, rtol: 1e-13 };

/** Phi(x) through the library's erf (erf.test.ts checks erf itself against reference values). */
const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

interface Bounds {
  lo: number | null;
  hi: number | null;
}
/** Bounds on half-integers, at least one given, lo < hi. */
const boundsArb: fc.Arbitrary<Bounds> = fc
  .tuple(fc.option(halfInteger, { nil: null }), fc.option(halfInteger, { nil: null }), fc.nat(2))
  .map(([lo, hi, widen]) => {
    const l = lo ?? (hi === null ? -0.5 : null);
    return { lo: l, hi: hi === null ? null : l === null ? hi : Math.max(hi, l + 1 + widen) };
  });
const clampRef = (v: number, { lo, hi }: Bounds) => Math.min(Math.max(v, lo ?? -Infinity), hi ?? Infinity);

/** The parametrised activations (free functions, ops/activations.ts), off their kinks. */
const softplusRef = (x: number, b: number, t: number) => (x * b > t ? x : Math.log1p(Math.exp(x * b)) / b);
const ACTIVATIONS: OpEntry[] = [
  unary<number>({
    name: "leakyRelu", members: [], functions: ["leakyRelu"], params: fc.constantFrom(0.01, 0.2, -0.5),
    call: (x, s) => leakyRelu(x, s), f: (x, s) => (x > 0 ? x : x * s), label: (s) => `leakyRelu(${s})`,
    input: AWAY, examples: [{ shape: [2, 3], params: 0.2 }],
  }),
  unary<number>({
    name: "elu", members: [], functions: ["elu"], params: fc.constantFrom(1, 0.5),
    call: (x, a) => elu(x, a), f: (x, a) => (x > 0 ? x : a * Math.expm1(x)), label: (a) => `elu(${a})`,
    input: AWAY, examples: [{ shape: [5], params: 0.5 }],
  }),
  unary<[number, number]>({
    name: "softplus", members: [], functions: ["softplus"], params: fc.constantFrom<[number, number]>([1, 20], [2, 3], [0.5, 0.5]),
    call: (x, [b, t]) => softplus(x, b, t), f: (x, [b, t]) => softplusRef(x, b, t), label: (p) => `softplus(${p})`,
    input: AWAY, examples: [{ shape: [5], params: [2, 3] }],
  }),
  unary<[number, number]>({
    name: "hardtanh", members: [], functions: ["hardtanh"], params: fc.constantFrom<[number, number]>([-1, 1], [-0.5, 2]),
    call: (x, [lo, hi]) => hardtanh(x, lo, hi), f: (x, [lo, hi]) => Math.min(Math.max(x, lo), hi),
    label: (p) => `hardtanh(${p})`, input: AWAY, examples: [{ shape: [6], params: [-0.5, 2] }],
  }),
  unary<null>({
    name: "silu", members: [], functions: ["silu"], params: NONE, call: (x) => silu(x), f: (x) => x / (1 + Math.exp(-x)),
    examples: [{ shape: [5], params: null }],
  }),
  unary<null>({
    name: "mish", members: [], functions: ["mish"], params: NONE, call: (x) => mish(x),
    f: (x) => x * Math.tanh(Math.log1p(Math.exp(x))), examples: [{ shape: [5], params: null }],
  }),
];

const UNARY: OpEntry[] = [
  simple("neg", (x) => -x, [[4]]),
  simple("exp", Math.exp, [[2, 2]], ANY, CLOSE),
  simple("log", Math.log, [[5]], POS, CLOSE),
  simple("sqrt", Math.sqrt, [[5]], POS),
  simple("abs", Math.abs, [[5]], AWAY),
  simple("tanh", Math.tanh, [[5]], ANY, CLOSE),
  simple("sigmoid", (x) => 1 / (1 + Math.exp(-x)), [[5]], ANY, CLOSE),
  simple("relu", (x) => Math.max(x, 0), [[6]], AWAY),
  simple("gelu", gelu, [[6]], ANY, CLOSE),
  simple("square", (x) => x * x, [[2, 3]]),
  unary<Bounds>({
    name: "clamp",
    members: ["clamp"],
    params: boundsArb,
    call: (x, b) => x.clamp(b.lo, b.hi),
    f: clampRef,
    label: (b) => `clamp(${b.lo}, ${b.hi})`,
    input: AWAY,
    examples: [{ shape: [6], params: { lo: -0.5, hi: 0.5 } }, { shape: [2, 3], params: { lo: null, hi: 0.5 } }],
  }),
  unary<number>({
    name: "pow (scalar exponent)",
    members: ["pow"],
    params: fc.constantFrom(-1.5, -1, 0.5, 2, 3, 2.5),
    call: (x, e) => x.pow(e),
    f: (x, e) => Math.pow(x, e),
    label: (e) => `pow(${e})`,
    input: { kind: "pos", domain: "real" },
    tol: CLOSE,
    examples: [{ shape: [3], params: 2.5 }],
  }),
  ...ACTIVATIONS,
];

// ------------------------------------------------------------------ binary elementwise (and where)

/** The other operand: a tensor, or (now and then) a number. */
interface BinaryParams {
  other: number | null;
  swap: boolean;
}

interface BinarySpec {
  name: string;
  members?: readonly (keyof Tensor)[];
  functions?: readonly string[];
  call: (a: Tensor, b: Tensor | number) => Tensor;
  f: (x: number, y: number) => number;
  inputs?: [Input, Input];
  /** Swap the two inputs' value kinds at random (maximum/minimum: either side the larger). */
  swapKinds?: boolean;
  /** Numbers tried as the second operand (none: tensors only). */
  numbers?: readonly number[];
  partials?: (x: number, y: number) => [number, number];
  comparison?: boolean;
  runs?: number;
  examples?: Shape[][];
}

function binary(s: BinarySpec): OpEntry {
  const [ia, ib] = s.inputs ?? [ANY, ANY];
  const numbers = s.numbers ?? [];
  return define<BinaryParams>({
    name: s.name,
    kind: "binary",
    members: s.members,
    functions: s.functions,
    inputs: [ia, ib],
    params: fc.record({
      other: numbers.length === 0 ? fc.constant(null) : fc.option(fc.constantFrom(...numbers), { nil: null, freq: 5 }),
      swap: fc.boolean(),
    }),
    shapes: (o, p) => (p.other === null ? broadcastPairArb(o) : one(o)),
    call: ([a, b], p) => s.call(a, p.other ?? b),
    label: (p, [sa, sb]) => `${fmt(sa)} ${s.name} ${p.other === null ? fmt(sb) : p.other}`,
    ref: ([a, b], p) => broadcastRef([a, p.other === null ? b : scalarRef(p.other)], s.f),
    kinds: (p) => (s.swapKinds && p.swap ? [ib.kind, ia.kind] : [ia.kind, ib.kind]),
    dtype: () => (s.comparison ? "bool" : "float64"),
    differentiable: !s.comparison,
    broadcasts: true,
    partials: s.partials,
    runs: s.runs ?? 30,
    examples: (s.examples ?? []).map((shapes) => ({ shapes, params: { other: null, swap: false } })),
  });
}

const GRID: [Input, Input] = [{ kind: "gridLow", domain: "real" }, { kind: "gridHigh", domain: "real" }];
/** Numbers as a second operand: clear of every "away" and grid value (and 0 is a tie for comparisons). */
const NUMBERS = [-1.5, 0, 0.5, 2.5];
const tie = (x: number, y: number, wx: number): number => (x === y ? 0.5 : wx);

const comparison = (name: "gt" | "lt" | "ge" | "le" | "eq" | "ne", f: (x: number, y: number) => boolean): OpEntry =>
  binary({ name, members: [name], call: (a, b) => a[name](b), f: (x, y) => (f(x, y) ? 1 : 0), comparison: true, numbers: NUMBERS });

const BINARY: OpEntry[] = [
  binary({ name: "add", members: ["add"], call: (a, b) => a.add(b), f: (x, y) => x + y, numbers: NUMBERS, runs: 300,
    partials: () => [1, 1], examples: [[[2, 3], [3]]] }),
  binary({ name: "sub", members: ["sub"], call: (a, b) => a.sub(b), f: (x, y) => x - y, numbers: NUMBERS,
    partials: () => [1, -1], examples: [[[2, 1], [1, 4]]] }),
  binary({ name: "mul", members: ["mul"], call: (a, b) => a.mul(b), f: (x, y) => x * y, numbers: NUMBERS,
    partials: (x, y) => [y, x], examples: [[[2, 3, 1], [4]]] }),
  binary({ name: "div", members: ["div"], call: (a, b) => a.div(b), f: (x, y) => x / y, numbers: [-1.5, 0.5, 2.5],
    inputs: [ANY, { kind: "pos", domain: "real" }], partials: (x, y) => [1 / y, -x / (y * y)], examples: [[[2, 3], [2, 3]]] }),
  binary({ name: "pow", members: ["pow"], call: (a, b) => a.pow(b), f: Math.pow,
    inputs: [{ kind: "pos", domain: "real" }, ANY], partials: (x, y) => [y * Math.pow(x, y - 1), Math.pow(x, y) * Math.log(x)],
    examples: [[[2, 2], [2, 2]]] }),
  binary({ name: "maximum", members: ["maximum"], call: (a, b) => a.maximum(b), f: Math.max, inputs: GRID, swapKinds: true,
    numbers: NUMBERS, partials: (x, y) => [tie(x, y, x > y ? 1 : 0), tie(x, y, y > x ? 1 : 0)], examples: [[[3, 3], [3, 3]]] }),
  binary({ name: "minimum", members: ["minimum"], call: (a, b) => a.minimum(b), f: Math.min, inputs: GRID, swapKinds: true,
    numbers: NUMBERS, partials: (x, y) => [tie(x, y, x < y ? 1 : 0), tie(x, y, y < x ? 1 : 0)], examples: [[[3, 3], [3, 3]]] }),
  binary({ name: "where", functions: ["where"], call: (a, b) => where(a.gt(0), a, b), f: (x, y) => (x > 0 ? x : y),
    inputs: [AWAY, ANY], numbers: NUMBERS, partials: (x) => (x > 0 ? [1, 0] : [0, 1]), examples: [[[3, 2], [2]]] }),
  comparison("gt", (x, y) => x > y),
  comparison("lt", (x, y) => x < y),
  comparison("ge", (x, y) => x >= y),
  comparison("le", (x, y) => x <= y),
  comparison("eq", (x, y) => x === y),
  comparison("ne", (x, y) => x !== y),
];

// ------------------------------------------------------------------ reductions and softmax

/** The DimsSpec that stands for `dim` (for examples). */
function dimsOf(dim: number | number[] | undefined, keepdim = false): DimsSpec {
  const mask = [false, false, false, false, false];
  if (Array.isArray(dim)) dim.forEach((d) => (mask[d] = true));
  const mode = dim === undefined ? "all" : typeof dim === "number" ? "one" : "list";
  return { mode, one: typeof dim === "number" ? Math.abs(dim) : 0, mask, negative: typeof dim === "number" && dim < 0, keepdim };
}

/** How many elements each output of a reduction over `dim` combines. */
const countOf = (shape: readonly number[], dim: number | readonly number[] | undefined) =>
  reducedDims(dim, shape.length).reduce((p, d) => p * shape[d], 1);

interface ReductionSpec {
  name: "sum" | "mean" | "amax" | "amin";
  input: Input;
  /** Reference: the output over the reduced dims. */
  ref: (x: Ref, dims: number[], keepdim: boolean) => Ref;
  /** Throws on an empty input when a reduced dim is empty (torch: amax, amin). */
  emptyFails?: boolean;
  nonEmptyForGrad?: boolean;
  tol?: { atol: number; rtol: number };
  runs?: number;
  examples: Example<DimsSpec>[];
}

/** torch: an empty input is an error only if a reduced dim is empty (or every dim is reduced). */
const emptyReductionFails = (shape: readonly number[], dim: number | readonly number[] | undefined) =>
  numelOf(shape) === 0 && (dim === undefined || reducedDims(dim, shape.length).some((d) => shape[d] === 0));

function reduction(s: ReductionSpec): OpEntry {
  return define<DimsSpec>({
    name: s.name,
    kind: "reduction",
    members: [s.name],
    inputs: [s.input],
    params: dimsSpecArb,
    shapes: one,
    call: ([x], spec) => x[s.name](dimsArg(spec, x.ndim), spec.keepdim),
    label: (spec, [shape]) => `${s.name}(${JSON.stringify(dimsArg(spec, shape.length))}, keepdim ${spec.keepdim}) of ${fmt(shape)}`,
    ref: ([x], spec) => {
      const dim = dimsArg(spec, x.shape.length);
      if (s.emptyFails && emptyReductionFails(x.shape, dim)) return null;
      return s.ref(x, reducedDims(dim, x.shape.length), spec.keepdim);
    },
    nonEmptyForGrad: s.nonEmptyForGrad,
    tol: s.tol,
    runs: s.runs ?? 100,
    layoutRuns: 50,
    examples: s.examples,
  });
}

const sumRef = (x: Ref, dims: number[], keepdim: boolean) => reduceRef(x, dims, keepdim, 0, (a, v) => a + v);

interface VarParams {
  dims: DimsSpec;
  unbiased: boolean;
}

const REDUCTIONS: OpEntry[] = [
  // Quarter-integer data: every order of summation gives the same, exact, sum.
  reduction({ name: "sum", input: { kind: "any", domain: "quarters" }, ref: sumRef, runs: 300,
    examples: [{ shapes: [[2, 3, 2]], params: dimsOf([0, 2], true) }] }),
  reduction({ name: "mean", input: { kind: "any", domain: "quarters" }, nonEmptyForGrad: true, tol: CLOSE, runs: 60,
    ref: (x, dims, keepdim) => {
      const n = dims.reduce((p, d) => p * x.shape[d], 1);
      return mapRef(sumRef(x, dims, keepdim), (v) => v / n);
    },
    examples: [{ shapes: [[3, 4]], params: dimsOf(1) }] }),
  reduction({ name: "amax", input: { kind: "distinct", domain: "real" }, emptyFails: true, nonEmptyForGrad: true,
    ref: (x, dims, keepdim) => reduceRef(x, dims, keepdim, -Infinity, Math.max),
    examples: [{ shapes: [[3, 4]], params: dimsOf(1) }] }),
  reduction({ name: "amin", input: { kind: "distinct", domain: "real" }, emptyFails: true, nonEmptyForGrad: true,
    ref: (x, dims, keepdim) => reduceRef(x, dims, keepdim, Infinity, Math.min),
    examples: [{ shapes: [[3, 4]], params: dimsOf(undefined) }] }),
  define<VarParams>({
    name: "var",
    kind: "reduction",
    members: ["var"],
    inputs: [ANY],
    params: fc.record({ dims: dimsSpecArb, unbiased: fc.boolean() }),
    shapes: one,
    call: ([x], p) => x.var(dimsArg(p.dims, x.ndim), p.dims.keepdim, p.unbiased),
    label: (p, [s]) => `var(${JSON.stringify(dimsArg(p.dims, s.length))}, keepdim ${p.dims.keepdim}, unbiased ${p.unbiased}) of ${fmt(s)}`,
    ref: ([x], p) => {
      const dims = reducedDims(dimsArg(p.dims, x.shape.length), x.shape.length);
      const n = dims.reduce((q, d) => q * x.shape[d], 1);
      const mean = mapRef(sumRef(x, dims, true), (v) => v / n);
      const sq = { shape: x.shape, data: x.data.map((v, i) => v - broadcastMean(mean, x, i)).map((v) => v * v) };
      // torch divides by max(0, n - correction): 0/0 is NaN for nothing (or one element, unbiased).
      return mapRef(sumRef(sq, dims, p.dims.keepdim), (v) => v / Math.max(0, p.unbiased ? n - 1 : n));
    },
    // An unbiased variance of one element is NaN, and so is its gradient.
    gradOk: ([s], p) => !p.unbiased || countOf(s, dimsArg(p.dims, s.length)) > 1,
    nonEmptyForGrad: true,
    tol: { atol: 1e-14, rtol: 1e-12 },
    runs: 60,
    layoutRuns: 50,
    examples: [{ shapes: [[4, 3]], params: { dims: dimsOf(0), unbiased: true } }],
  }),
  define<DimsSpec>({
    name: "argmax",
    kind: "reduction",
    members: ["argmax"],
    inputs: [ANY],
    params: dimsSpecArb,
    shapes: one,
    call: ([x], spec) => x.argmax(argmaxDim(spec, x.ndim), spec.keepdim),
    label: (spec, [s]) => `argmax(${argmaxDim(spec, s.length)}, keepdim ${spec.keepdim}) of ${fmt(s)}`,
    ref: ([x], spec) => {
      const dim = argmaxDim(spec, x.shape.length);
      return emptyReductionFails(x.shape, dim) ? null : argmaxRef(x, dim, spec.keepdim);
    },
    dtype: () => "int32",
    differentiable: false,
    runs: 100,
    layoutRuns: 50,
    examples: [],
  }),
];

/** argmax takes one dim or none. */
function argmaxDim(spec: DimsSpec, rank: number): number | undefined {
  const dim = dimsArg(spec, rank);
  return typeof dim === "number" ? dim : undefined;
}

/** The keepdim mean at the position of x's flat element i. */
function broadcastMean(mean: Ref, x: Ref, i: number): number {
  let flat = i;
  let at = 0;
  let stride = 1;
  for (let d = x.shape.length - 1; d >= 0; d--) {
    const idx = flat % x.shape[d];
    flat = Math.floor(flat / x.shape[d]);
    if (mean.shape[d] !== 1) at += idx * stride;
    stride *= mean.shape[d];
  }
  return mean.data[at];
}

interface DimParam {
  d: number;
  negative: boolean;
}
const dimParamArb: fc.Arbitrary<DimParam> = fc.record({ d: fc.nat(7), negative: fc.boolean() });
/** A dim of a tensor of `rank` (0 or -1 for a 0-d one), maybe negative. */
const dimAt = ({ d, negative }: DimParam, rank: number) =>
  rank === 0 ? (negative ? -1 : 0) : negative ? (d % rank) - rank : d % rank;
const nonNegative = (dim: number, rank: number) => (dim < 0 ? dim + Math.max(rank, 1) : dim);

const softmaxEntry = (name: "softmax" | "logSoftmax", example: DimParam): OpEntry =>
  define<DimParam>({
    name,
    kind: "softmax",
    members: [name],
    inputs: [ANY],
    params: dimParamArb,
    shapes: one,
    call: ([x], p) => x[name](dimAt(p, x.ndim)),
    label: (p, [s]) => `${name}(${dimAt(p, s.length)}) of ${fmt(s)}`,
    ref: ([x], p) => softmaxRef(x, nonNegative(dimAt(p, x.shape.length), x.shape.length), name === "logSoftmax"),
    tol: CLOSE,
    runs: 125,
    layoutRuns: 125,
    examples: [{ shapes: [[3, 4]], params: example }],
  });

const SOFTMAX: OpEntry[] = [softmaxEntry("softmax", { d: 0, negative: false }), softmaxEntry("logSoftmax", { d: 1, negative: true })];

// ------------------------------------------------------------------ products

const PRODUCT_TOL = { atol: 1e-14, rtol: 1e-12 };

const matrixPair = (o: ShapeOptions) => {
  const dim = dimArb(o.maxDim ?? 4, o.zeros ?? true);
  return fc.tuple(dim, dim, dim);
};

const PRODUCTS: OpEntry[] = [
  define<null>({
    name: "matmul",
    kind: "product",
    members: ["matmul"],
    inputs: [ANY, ANY],
    params: NONE,
    shapes: (o) => matmulShapesArb(o.maxDim ?? 4),
    call: ([a, b]) => a.matmul(b),
    label: (_, [sa, sb]) => `${fmt(sa)} @ ${fmt(sb)}`,
    ref: ([a, b]) => matmulRef(a, b),
    broadcasts: true,
    tol: PRODUCT_TOL,
    runs: 250,
    layoutRuns: 250,
    examples: [
      { shapes: [[3, 4], [4, 2]], params: null },
      { shapes: [[4], [4, 2]], params: null },
      { shapes: [[2, 1, 2, 3], [3, 3, 2]], params: null },
      { shapes: [[2, 3], [3, 2]], params: null, transposed: [true, false] },
    ],
  }),
  define<null>({
    name: "mm",
    kind: "product",
    members: ["mm"],
    functions: ["mm"],
    inputs: [ANY, ANY],
    params: NONE,
    shapes: (o) => matrixPair(o).map(([m, k, n]) => [[m, k], [k, n]]),
    call: ([a, b]) => mm(a, b),
    label: (_, [sa, sb]) => `mm(${fmt(sa)}, ${fmt(sb)})`,
    ref: ([a, b]) => matmulRef(a, b),
    tol: PRODUCT_TOL,
    runs: 60,
    examples: [{ shapes: [[3, 4], [4, 2]], params: null }, { shapes: [[2, 3], [3, 2]], params: null, transposed: [false, true] }],
  }),
  define<null>({
    name: "addmm",
    kind: "product",
    members: ["addmm"],
    functions: ["addmm"],
    inputs: [ANY, ANY, ANY],
    params: NONE,
    shapes: (o) => matrixPair(o).chain(([m, k, n]) => compatibleShapeArb([m, n]).map((bias) => [bias, [m, k], [k, n]])),
    call: ([bias, a, b]) => (bias.ndim === 2 ? bias.addmm(a, b) : addmm(bias, a, b)),
    label: (_, [sc, sa, sb]) => `addmm(${fmt(sc)}, ${fmt(sa)}, ${fmt(sb)})`,
    ref: ([bias, a, b]) => {
      const product = matmulRef(a, b);
      return product && broadcastRef([bias, product], (x, y) => x + y);
    },
    broadcasts: true,
    tol: PRODUCT_TOL,
    runs: 60,
    examples: [{ shapes: [[2], [3, 4], [4, 2]], params: null }, { shapes: [[3, 2], [3, 4], [4, 2]], params: null }],
  }),
];

// ------------------------------------------------------------------ shape ops (views where possible)

/** A random step (read against the input's shape), or a concrete view (examples). */
type ViewParam = { step: ViewStep } | { view: ConcreteView };
const concrete = (p: ViewParam, shape: readonly number[]): ConcreteView | null =>
  "view" in p ? p.view : concreteView(p.step, shape);

/** A view op of `applyView`; where the step does not apply at the input's shape, the identity. */
function viewEntry(op: ViewOpName, examples: { shape: Shape; view: ConcreteView; transposed?: boolean }[]): OpEntry {
  return define<ViewParam>({
    name: op,
    kind: "view",
    members: [op],
    inputs: [ANY],
    params: viewStepArb([op]).map((step) => ({ step })),
    shapes: one,
    call: ([x], p) => {
      const v = concrete(p, x.shape);
      return v === null ? x : applyView(x, v);
    },
    label: (p, [s]) => {
      const v = concrete(p, s);
      return `${v === null ? `${op} (does not apply)` : describeView(v)} of ${fmt(s)}`;
    },
    ref: ([x], p) => {
      const v = concrete(p, x.shape);
      return v === null ? x : applyViewRef(x, v);
    },
    // A view of a non-contiguous tensor may be impossible, where its contiguous copy allows it.
    strided: op !== "view",
    view: op,
    examples: examples.map((e) => ({ shapes: [e.shape], params: { view: e.view }, transposed: [e.transposed ?? false] })),
  });
}

/** The shape an expand step asks for, with every -1 resolved. */
function expandTarget(p: ViewParam, shape: readonly number[]): Shape | null {
  const v = concrete(p, shape);
  if (v === null || v.op !== "expand") return null;
  const lead = v.shape.length - shape.length;
  return v.shape.map((s, d) => (s === -1 ? shape[d - lead] : s));
}

const reversed = (rank: number) => Array.from({ length: rank }, (_, i) => rank - 1 - i);

const VIEWS: OpEntry[] = [
  viewEntry("transpose", [{ shape: [2, 3], view: { op: "transpose", dim0: 0, dim1: 1 } }]),
  viewEntry("permute", [{ shape: [2, 3, 2], view: { op: "permute", dims: [2, 0, 1] } }]),
  viewEntry("narrow", [{ shape: [3, 4], view: { op: "narrow", dim: 1, start: 1, length: 2 } }]),
  viewEntry("select", [{ shape: [3, 4], view: { op: "select", dim: 1, index: -1 } }]),
  viewEntry("slice", [{ shape: [5, 2], view: { op: "slice", dim: 0, start: 1, end: null, step: 2 } }]),
  viewEntry("unsqueeze", [{ shape: [2, 1, 3], view: { op: "unsqueeze", dim: 0 } }]),
  viewEntry("squeeze", [{ shape: [1, 2, 1, 3], view: { op: "squeeze", dim: undefined } }]),
  viewEntry("expand", [{ shape: [2, 1], view: { op: "expand", shape: [3, 2, 4] } }]),
  viewEntry("reshape", [
    { shape: [4, 3], view: { op: "reshape", shape: [-1], resolved: [12] }, transposed: true }, // a copy
    { shape: [2, 6], view: { op: "reshape", shape: [3, -1], resolved: [3, 4] } },
  ]),
  viewEntry("view", [{ shape: [2, 3], view: { op: "view", shape: [6], resolved: [6] } }]),
  viewEntry("flatten", [{ shape: [1, 2, 3], view: { op: "flatten", start: 0, end: -1 } }]),
  define<ViewParam>({
    name: "expandAs",
    kind: "view",
    members: ["expandAs"],
    inputs: [ANY],
    params: viewStepArb(["expand"]).map((step) => ({ step })),
    shapes: one,
    call: ([x], p) => x.expandAs(zeros(expandTarget(p, x.shape) ?? x.shape)),
    label: (p, [s]) => `expandAs(${fmt(expandTarget(p, s) ?? s)}) of ${fmt(s)}`,
    ref: ([x], p) => applyViewRef(x, { op: "expand", shape: expandTarget(p, x.shape) ?? x.shape }),
    examples: [{ shapes: [[3, 1]], params: { view: { op: "expand", shape: [2, 3, 4] } } }],
  }),
  define<null>({
    name: "T",
    kind: "view",
    members: ["T"],
    inputs: [ANY],
    params: NONE,
    shapes: one,
    call: ([x]) => x.T,
    label: (_, [s]) => `T of ${fmt(s)}`,
    ref: ([x]) => applyViewRef(x, { op: "permute", dims: reversed(x.shape.length) }),
    examples: [{ shapes: [[2, 3]], params: null }, { shapes: [[2, 3, 2]], params: null }],
  }),
  ...(["contiguous", "clone"] as const).map((name) =>
    define<null>({
      name,
      kind: "view",
      members: [name],
      inputs: [ANY],
      params: NONE,
      shapes: one,
      call: ([x]) => x[name](),
      label: (_, [s]) => `${name} of ${fmt(s)}`,
      ref: ([x]) => x,
      examples: [{ shapes: [[3, 2]], params: null, transposed: [true] }],
    }),
  ),
];

// ------------------------------------------------------------------ casts

/** Casts to float32 round: gradcheck them on values whose +- eps stays exact in float32. */
const CAST_INPUT: Input = { kind: "coarse", domain: "real" };
const CAST_GRAD: GradcheckOptions = { eps: 2 ** -10 };

const castEntry = (name: "to" | "float" | "double", call: (x: Tensor, dtype: DType) => Tensor, dtypes: DType[]): OpEntry =>
  define<DType>({
    name,
    kind: "cast",
    members: [name],
    inputs: [CAST_INPUT],
    params: fc.constantFrom(...dtypes),
    shapes: one,
    call: ([x], dtype) => call(x, dtype),
    label: (dtype, [s]) => `${name}(${dtype}) of ${fmt(s)}`,
    ref: ([x], dtype) => (dtype === "float32" ? mapRef(x, Math.fround) : x),
    dtype: (dtype) => dtype,
    gradOptions: CAST_GRAD,
    examples: dtypes.map((dtype) => ({ shapes: [[2, 3]], params: dtype })),
  });

const CASTS: OpEntry[] = [
  castEntry("to", (x, dtype) => x.to(dtype), ["float32", "float64"]),
  castEntry("float", (x) => x.float(), ["float32"]),
  castEntry("double", (x) => x.double(), ["float64"]),
];

// ------------------------------------------------------------------ joins and indexing

interface JoinParams {
  dim: DimParam;
  sizes: number[];
}

/** Two or three tensors equal in every dim but the joined one (cat: sizes along it drawn apart). */
const joinEntry = (name: "cat" | "stack"): OpEntry =>
  define<JoinParams>({
    name,
    kind: "join",
    functions: [name],
    inputs: [ANY],
    params: fc.record({ dim: dimParamArb, sizes: fc.array(dimArb(3), { minLength: 2, maxLength: 3 }) }),
    shapes: (o, p) =>
      shapeArb({ ...o, minRank: name === "cat" ? 1 : 0 }).map((base) => {
        if (name === "stack") return p.sizes.map(() => [...base]);
        const d = nonNegative(dimAt(p.dim, base.length), base.length);
        return p.sizes.map((size) => base.map((s, k) => (k === d ? size : s)));
      }),
    call: (xs, p) => {
      const rank = xs[0].ndim + (name === "stack" ? 1 : 0);
      return name === "cat" ? cat([...xs], dimAt(p.dim, rank)) : stack([...xs], dimAt(p.dim, rank));
    },
    label: (p, shapes) => {
      const rank = shapes[0].length + (name === "stack" ? 1 : 0);
      return `${name}([${shapes.map(fmt).join(", ")}], ${dimAt(p.dim, rank)})`;
    },
    ref: (xs, p) => {
      if (name === "cat") return catRef(xs, nonNegative(dimAt(p.dim, xs[0].shape.length), xs[0].shape.length));
      const rank = xs[0].shape.length + 1;
      const d = nonNegative(dimAt(p.dim, rank), rank);
      const lifted = xs.map((x) => ({ shape: [...x.shape.slice(0, d), 1, ...x.shape.slice(d)], data: x.data }));
      return catRef(lifted, d);
    },
    examples: [{ shapes: name === "cat" ? [[2, 2], [2, 3]] : [[2, 3], [2, 3]], params: { dim: { d: 1, negative: false }, sizes: [] } }],
  });

interface IndexParams {
  dim: DimParam;
  picks: number[];
}

/** The index actually used at a shape: picks modulo the dim's size (none when it is empty). */
function indexAt(p: IndexParams, shape: readonly number[]): { dim: number; index: number[] } {
  const dim = dimAt(p.dim, shape.length);
  const size = shape.length === 0 ? 1 : shape[nonNegative(dim, shape.length)];
  return { dim, index: size === 0 ? [] : shape.length === 0 ? [0] : p.picks.map((i) => i % size) };
}

const INDEXING: OpEntry[] = [
  joinEntry("cat"),
  joinEntry("stack"),
  define<IndexParams>({
    name: "indexSelect",
    kind: "index",
    members: ["indexSelect"],
    inputs: [ANY],
    params: fc.record({ dim: dimParamArb, picks: fc.array(fc.nat(9), { maxLength: 5 }) }),
    shapes: one,
    call: ([x], p) => {
      const { dim, index } = indexAt(p, x.shape);
      return x.indexSelect(dim, tensor(index, { dtype: "int32" }));
    },
    label: (p, [s]) => {
      const { dim, index } = indexAt(p, s);
      return `indexSelect(${dim}, [${index.join(", ")}]) of ${fmt(s)}`;
    },
    ref: ([x], p) => {
      const { dim, index } = indexAt(p, x.shape);
      return indexSelectRef(x, nonNegative(dim, x.shape.length), index);
    },
    examples: [
      { shapes: [[5, 3]], params: { dim: { d: 0, negative: false }, picks: [4, 0, 4, 2] } },
      { shapes: [[5, 3]], params: { dim: { d: 1, negative: true }, picks: [2, 2] } },
    ],
  }),
];

// ------------------------------------------------------------------ rearranging (gather, flip, roll, ...)

/** Distinct dims of a shape, from arbitrary picks (0-d: dim 0). */
const distinctDims = (picks: readonly DimParam[], rank: number): number[] =>
  [...new Set(picks.map((p) => nonNegative(dimAt(p, rank), rank)))];

interface GatherParams {
  dim: DimParam;
  /** the index's size along dim (1 to 3) */
  k: number;
  picks: number[];
}

/** The shape of a gather's index: x's, with `k` along dim (a 0-d x keeps 0-d). */
const gatherShape = (p: GatherParams, shape: readonly number[]): { d: number; idxShape: Shape } => {
  const d = nonNegative(dimAt(p.dim, shape.length), shape.length);
  return { d, idxShape: shape.length === 0 ? [] : shape.map((s, i) => (i === d ? p.k : s)) };
};
/** The index values: picks cycled, modulo the dim's size (0 where it is empty). */
const gatherIndex = (p: GatherParams, shape: readonly number[], idxShape: Shape): number[] => {
  const d = nonNegative(dimAt(p.dim, shape.length), shape.length);
  const size = shape.length === 0 ? 1 : shape[d];
  return Array.from({ length: numelOf(idxShape) }, (_, i) => (size === 0 ? 0 : (p.picks[i % Math.max(p.picks.length, 1)] ?? 0) % size));
};
const gatherParams: fc.Arbitrary<GatherParams> = fc.record({ dim: dimParamArb, k: fc.integer({ min: 1, max: 3 }), picks: fc.array(fc.nat(9), { minLength: 1, maxLength: 6 }) });
const nonEmpty = (o: ShapeOptions) => shapeArb({ ...o, zeros: false }).map((s) => [s]);

const REARRANGE: OpEntry[] = [
  define<GatherParams>({
    name: "gather",
    kind: "index",
    members: ["gather"],
    inputs: [ANY],
    params: gatherParams,
    shapes: nonEmpty,
    call: ([x], p) => {
      const { d, idxShape } = gatherShape(p, x.shape);
      return x.gather(d, tensor(gatherIndex(p, x.shape, idxShape), { shape: idxShape, dtype: "int32" }));
    },
    label: (p, [s]) => `gather(${gatherShape(p, s).d}) of ${fmt(s)}`,
    ref: ([x], p) => {
      const { d, idxShape } = gatherShape(p, x.shape);
      const index = gatherIndex(p, x.shape, idxShape);
      return gather(x, idxShape, (idx) => (idx.length === 0 ? [] : idx.map((v, a) => (a === d ? index[ravel(idx, idxShape)] : v))));
    },
    examples: [{ shapes: [[3, 4]], params: { dim: { d: 1, negative: false }, k: 2, picks: [3, 0, 1, 1, 2, 0] } }],
  }),
  define<GatherParams>({
    name: "scatterAdd",
    kind: "index",
    members: ["scatterAdd"],
    inputs: [ANY, ANY],
    params: gatherParams,
    shapes: (o, p) => shapeArb({ ...o, zeros: false }).map((s) => [s, gatherShape(p, s).idxShape]),
    call: ([x, src], p) => {
      const { d, idxShape } = gatherShape(p, x.shape);
      return x.scatterAdd(d, tensor(gatherIndex(p, x.shape, idxShape), { shape: idxShape, dtype: "int32" }), src);
    },
    label: (p, [s]) => `scatterAdd(${gatherShape(p, s).d}) into ${fmt(s)}`,
    ref: ([x, src], p) => {
      const { d, idxShape } = gatherShape(p, x.shape);
      const index = gatherIndex(p, x.shape, idxShape);
      const data = [...x.data];
      allIndices(idxShape).forEach((idx, i) => {
        data[x.shape.length === 0 ? 0 : ravel(idx.map((v, a) => (a === d ? index[i] : v)), x.shape)] += src.data[i];
      });
      return { shape: [...x.shape], data };
    },
    examples: [{ shapes: [[3, 4], [3, 2]], params: { dim: { d: 1, negative: false }, k: 2, picks: [3, 3, 1, 0, 2, 0] } }],
  }),
  define<DimParam[]>({
    name: "flip",
    kind: "index",
    members: ["flip"],
    inputs: [ANY],
    params: fc.array(dimParamArb, { minLength: 1, maxLength: 3 }),
    shapes: one,
    call: ([x], p) => x.flip(distinctDims(p, x.ndim)),
    label: (p, [s]) => `flip([${distinctDims(p, s.length).join(", ")}]) of ${fmt(s)}`,
    ref: ([x], p) => {
      const dims = distinctDims(p, x.shape.length);
      return gather(x, x.shape, (idx) => idx.map((v, a) => (dims.includes(a) ? x.shape[a] - 1 - v : v)));
    },
    examples: [{ shapes: [[2, 3]], params: [{ d: 0, negative: false }, { d: 1, negative: true }] }],
  }),
  define<{ dims: DimParam[]; shifts: number[] }>({
    name: "roll",
    kind: "index",
    members: ["roll"],
    inputs: [ANY],
    params: fc.record({ dims: fc.array(dimParamArb, { minLength: 1, maxLength: 2 }), shifts: fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 2, maxLength: 2 }) }),
    shapes: one,
    call: ([x], p) => {
      const dims = distinctDims(p.dims, x.ndim);
      return x.roll(dims.map((_, i) => p.shifts[i]), dims);
    },
    label: (p, [s]) => `roll([${p.shifts.join(", ")}], [${distinctDims(p.dims, s.length).join(", ")}]) of ${fmt(s)}`,
    ref: ([x], p) => {
      const dims = distinctDims(p.dims, x.shape.length);
      return gather(x, x.shape, (idx) => idx.map((v, a) => {
        const at = dims.indexOf(a);
        const n = x.shape[a];
        return at < 0 || n === 0 ? v : (((v - p.shifts[at]) % n) + n) % n;
      }));
    },
    examples: [{ shapes: [[2, 3]], params: { dims: [{ d: 1, negative: false }, { d: 0, negative: false }], shifts: [1, -1] } }],
  }),
  define<{ lead: number; reps: number[] }>({
    name: "repeat",
    kind: "index",
    members: ["repeat"],
    inputs: [ANY],
    params: fc.record({ lead: fc.integer({ min: 0, max: 1 }), reps: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 5, maxLength: 5 }) }),
    shapes: one,
    call: ([x], p) => x.repeat(p.reps.slice(0, x.ndim + p.lead)),
    label: (p, [s]) => `repeat([${p.reps.slice(0, s.length + p.lead).join(", ")}]) of ${fmt(s)}`,
    ref: ([x], p) => {
      const padded = [...Array<number>(p.lead).fill(1), ...x.shape];
      const reps = p.reps.slice(0, padded.length);
      const src: Ref = { shape: padded, data: x.data };
      return gather(src, padded.map((s, i) => s * reps[i]), (idx) => idx.map((v, a) => v % padded[a]));
    },
    examples: [{ shapes: [[2, 3]], params: { lead: 1, reps: [2, 1, 2, 1, 1] } }],
  }),
  define<number[]>({
    name: "maskedFill",
    kind: "index",
    members: ["maskedFill"],
    inputs: [ANY],
    params: fc.array(fc.boolean().map((b) => (b ? 1 : 0)), { minLength: 1, maxLength: 8 }),
    shapes: one,
    call: ([x], bits) => x.maskedFill(tensor(Array.from({ length: x.numel }, (_, i) => bits[i % bits.length]), { shape: x.shape, dtype: "bool" }), 0.5),
    label: (bits, [s]) => `maskedFill([${bits.join("")}], 0.5) of ${fmt(s)}`,
    ref: ([x], bits) => ({ shape: [...x.shape], data: x.data.map((v, i) => (bits[i % bits.length] ? 0.5 : v)) }),
    examples: [{ shapes: [[2, 3]], params: [1, 0, 0] }],
  }),
  define<{ dim: DimParam; n: number; sizes: boolean }>({
    name: "chunk/split",
    kind: "index",
    members: ["chunk", "split"],
    inputs: [ANY],
    params: fc.record({ dim: dimParamArb, n: fc.integer({ min: 1, max: 3 }), sizes: fc.boolean() }),
    shapes: (o) => shapeArb({ ...o, minRank: 1 }).map((s) => [s]),
    // The pieces joined again are the tensor itself: views of it, so its gradient passes unchanged.
    call: ([x], p) => {
      const d = nonNegative(dimAt(p.dim, x.ndim), x.ndim);
      const pieces = p.sizes ? x.split(p.n, d) : x.chunk(p.n, d);
      return cat(pieces.map((t) => t.mul(1)), d);
    },
    label: (p, [s]) => `${p.sizes ? "split" : "chunk"}(${p.n}, ${nonNegative(dimAt(p.dim, s.length), s.length)}) of ${fmt(s)}, joined again`,
    ref: ([x]) => ({ shape: [...x.shape], data: [...x.data] }),
    examples: [{ shapes: [[5, 2]], params: { dim: { d: 0, negative: false }, n: 2, sizes: false } }],
  }),
];

// ------------------------------------------------------------------ in place, on a non-leaf

/**
 * In-place ops record their node when they write into a tensor in the graph that is not a
 * leaf (nor a view of one): each entry writes into `x.clone()`.
 */
interface InplaceBinaryParams {
  other: number | null;
}

const inplaceBinary = (
  name: "add_" | "sub_" | "mul_" | "div_" | "copy_",
  f: (x: number, y: number) => number,
  other: Input = ANY,
  numbers: readonly number[] = name === "copy_" ? [] : [-1.5, 0.5, 2.5],
): OpEntry =>
  define<InplaceBinaryParams>({
    name,
    kind: "inplace",
    members: [name],
    inputs: [ANY, other],
    params: numbers.length === 0 ? fc.constant({ other: null }) : fc.record({ other: fc.option(fc.constantFrom(...numbers), { nil: null, freq: 5 }) }),
    // The operand broadcasts to the written-to tensor's shape.
    shapes: (o, p) => shapeArb(o).chain((s) => (p.other === null ? compatibleShapeArb(s).map((t) => [s, t]) : fc.constant([s]))),
    call: ([x, y], p) => {
      const self = x.clone();
      if (name === "copy_") return self.copy_(y);
      return self[name](p.other ?? y);
    },
    label: (p, [sa, sb]) => `${fmt(sa)}.clone().${name}(${p.other ?? fmt(sb)})`,
    ref: ([x, y], p) => broadcastRef([x, p.other === null ? y : scalarRef(p.other)], f),
    broadcasts: true,
    examples: [{ shapes: [[2, 3], [3]], params: { other: null } }, { shapes: [[3], [3]], params: { other: null } }],
  });

interface AddcParams {
  value: number;
}

const addcEntry = (name: "addcmul_" | "addcdiv_", f: (x: number, a: number, b: number, v: number) => number): OpEntry =>
  define<AddcParams>({
    name,
    kind: "inplace",
    members: [name],
    inputs: [ANY, ANY, name === "addcdiv_" ? { kind: "pos", domain: "positive" } : ANY],
    params: fc.record({ value: fc.constantFrom(1, -0.5, 2) }),
    shapes: (o) => shapeArb(o).chain((s) => fc.tuple(compatibleShapeArb(s), compatibleShapeArb(s)).map(([a, b]) => [s, a, b])),
    call: ([x, a, b], p) => x.clone()[name](a, b, p.value),
    label: (p, [s, sa, sb]) => `${fmt(s)}.clone().${name}(${fmt(sa)}, ${fmt(sb)}, ${p.value})`,
    ref: ([x, a, b], p) => broadcastRef([x, a, b], (u, v, w) => f(u, v, w, p.value)),
    broadcasts: true,
    tol: CLOSE,
    examples: [{ shapes: [[2, 3], [3], [2, 1]], params: { value: 0.5 } }],
  });

const inplaceUnary = <P>(
  name: "sqrt_" | "clamp_" | "zero_" | "fill_",
  params: fc.Arbitrary<P>,
  call: (self: Tensor, p: P) => Tensor,
  f: (x: number, p: P) => number,
  input: Input,
  example: P,
): OpEntry =>
  define<P>({
    name,
    kind: "inplace",
    members: [name],
    inputs: [input],
    params,
    shapes: one,
    call: ([x], p) => call(x.clone(), p),
    label: (p, [s]) => `${fmt(s)}.clone().${name}(${p === null ? "" : JSON.stringify(p)})`,
    ref: ([x], p) => mapRef(x, (v) => f(v, p)),
    examples: [{ shapes: [[2, 3]], params: example }],
  });

const INPLACE: OpEntry[] = [
  inplaceBinary("add_", (x, y) => x + y),
  inplaceBinary("sub_", (x, y) => x - y),
  inplaceBinary("mul_", (x, y) => x * y),
  inplaceBinary("div_", (x, y) => x / y, { kind: "pos", domain: "real" }),
  inplaceBinary("copy_", (_, y) => y),
  addcEntry("addcmul_", (x, a, b, v) => x + v * a * b),
  addcEntry("addcdiv_", (x, a, b, v) => x + v * (a / b)),
  inplaceUnary("sqrt_", NONE, (x) => x.sqrt_(), Math.sqrt, POS, null),
  inplaceUnary("clamp_", boundsArb, (x, b) => x.clamp_(b.lo, b.hi), clampRef, AWAY, { lo: -0.5, hi: 1.5 }),
  inplaceUnary("zero_", NONE, (x) => x.zero_(), () => 0, ANY, null),
  inplaceUnary("fill_", fc.constantFrom(-1.5, 0, 2), (x, v) => x.fill_(v), (_, v) => v, ANY, 0.5),
];

// ------------------------------------------------------------------ the table

export const OPS: readonly OpEntry[] = [...UNARY, ...BINARY, ...REDUCTIONS, ...SOFTMAX, ...PRODUCTS, ...VIEWS, ...CASTS, ...INDEXING, ...REARRANGE, ...INPLACE];

export const opsOfKind = (...kinds: OpKind[]): OpEntry[] => OPS.filter((e) => kinds.includes(e.kind));

/** The view ops of the table, for the view-chain properties. */
export const VIEW_ENTRY_OPS: readonly ViewOpName[] = OPS.flatMap((e) => (e.view === undefined ? [] : [e.view]));

/** The shapes a random gradcheck of `op` draws from. */
export const gradShapes = (op: OpEntry): ShapeOptions => ({ ...GRAD_SHAPES, zeros: !op.nonEmptyForGrad });

// ------------------------------------------------------------------ running cases

/** A float64 tensor of a Ref. */
export const f64 = (ref: Ref, requiresGrad = false): Tensor =>
  tensor(ref.data, { shape: ref.shape, dtype: "float64", requiresGrad });

/** A random upstream gradient for `t`, reproducible from a seed. */
export const upstream = (t: Tensor, seed: number): Tensor =>
  tensor(valuesOf("any", t.numel, seed), { shape: t.shape, dtype: "float64" });

/** The leaves of one case (float64, requiring grad) and the function of them that the case calls. */
function caseLeaves(c: OpCase, seed: number): { leaves: Tensor[]; fn: (...xs: Tensor[]) => Tensor } {
  const swapLast = (s: Shape): Shape => [...s.slice(0, -2), ...s.slice(-2).reverse()];
  const flipped = (i: number) => c.transposed?.[i] === true;
  const leaves = c.shapes.map((shape, i) => {
    const leafShape = flipped(i) ? swapLast(shape) : shape;
    return tensor(valuesOf(c.kinds[i], numelOf(leafShape), seed + i), { shape: leafShape, dtype: "float64", requiresGrad: true });
  });
  const fn = (...xs: Tensor[]) => c.call(...xs.map((x, i) => (flipped(i) ? x.transpose(-2, -1) : x)));
  return { leaves, fn };
}

/**
 * gradcheck one case on float64 leaves with its value kinds (input i from seed + i); a
 * transposed input is the transpose of a leaf of the swapped shape.
 */
export function gradcheckCase(op: OpEntry, c: OpCase, seed: number): true {
  const { leaves, fn } = caseLeaves(c, seed);
  return gradcheck(fn, leaves, op.gradOptions);
}

/** gradgradcheck of one case (second derivatives through `createGraph`), as gradcheckCase. */
export function gradgradcheckCase(op: OpEntry, c: OpCase, seed: number): true {
  const { leaves, fn } = caseLeaves(c, seed);
  return gradgradcheck(fn, leaves, op.gradOptions);
}
