import fc from "fast-check";
import { expect } from "vitest";
import type { NestedArray, Tensor } from "../../src/index";

/**
 * fast-check arbitraries and plain-JS reference implementations for the property tests.
 * References work on `Ref` (a shape and row-major values in a plain array) with explicit
 * index math, so they share no code with the library under test.
 */

export type Shape = number[];

/** A shape and its values in row-major order. */
export interface Ref {
  shape: Shape;
  data: number[];
}

// ------------------------------------------------------------------ shapes and index math

export function numelOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** `[2, 3]`, as the library prints shapes in its messages. */
export function fmt(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Row-major multi-index of a flat position. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

/** Flat row-major position of a multi-index. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + idx[d];
  return flat;
}

/** Every multi-index of a shape in row-major order (one empty index for a 0-d shape). */
export function allIndices(shape: readonly number[]): number[][] {
  const n = numelOf(shape);
  const out: number[][] = [];
  for (let i = 0; i < n; i++) out.push(unravel(i, shape));
  return out;
}

/** A new Ref of `shape` whose element at idx is `src` at `map(idx)`. */
export function gather(src: Ref, shape: readonly number[], map: (idx: number[]) => number[]): Ref {
  return { shape: [...shape], data: allIndices(shape).map((idx) => src.data[ravel(map(idx), src.shape)]) };
}

/** Nested JS arrays of a Ref, as `toArray()` returns them (a number for 0-d). */
export function toNested(ref: Ref): NestedArray {
  if (ref.shape.length === 0) return ref.data[0];
  let at = 0;
  const build = (d: number): NestedArray[] => {
    const out: NestedArray[] = [];
    for (let i = 0; i < ref.shape[d]; i++) out.push(d === ref.shape.length - 1 ? ref.data[at++] : build(d + 1));
    return out;
  };
  return build(0);
}

/** NumPy's broadcast shape, or null when the shapes are incompatible. */
export function npBroadcast(a: readonly number[], b: readonly number[]): Shape | null {
  const n = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === db) out.push(da);
    else if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else return null;
  }
  return out;
}

/** The index into an operand of shape `shape` read at output index `idx` under broadcasting. */
export function broadcastIndex(idx: readonly number[], shape: readonly number[]): number[] {
  const lead = idx.length - shape.length;
  return shape.map((s, i) => (s === 1 ? 0 : idx[i + lead]));
}

/** Storage offsets of a tensor's elements in row-major logical order. */
export function storageOffsets(t: Pick<Tensor, "shape" | "strides" | "offset">): number[] {
  return allIndices(t.shape).map((idx) => idx.reduce((o, i, d) => o + i * t.strides[d], t.offset));
}

/**
 * Ground truth for "the layout allows a view": some strides for `newShape` address exactly
 * the same storage offsets, element for element in row-major order.
 */
export function canView(t: Pick<Tensor, "shape" | "strides" | "offset">, newShape: readonly number[]): boolean {
  const off = storageOffsets(t);
  if (off.length === 0) return true;
  const rowStep = newShape.map((_, d) => numelOf(newShape.slice(d + 1)));
  const strides = newShape.map((s, d) => (s > 1 ? off[rowStep[d]] - off[0] : 0));
  return off.every((o, i) => o - off[0] === unravel(i, newShape).reduce((p, x, d) => p + x * strides[d], 0));
}

// ------------------------------------------------------------------ deterministic values

/** mulberry32: a small seeded generator, for values that need no shrinking. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How values for a gradcheck input are drawn (each keeps clear of the op's kinks). */
export type ValueKind =
  | "any" // (-2, 2)
  | "pos" // (0.3, 2.5): log, sqrt, pow base, divisor
  | "away" // at least 0.1 from every integer and 0.15 from every half-integer: relu, abs, clamp
  | "gridLow" // n + [0.1, 0.35]: with gridHigh, every pair differs by >= 0.25 (maximum/minimum)
  | "gridHigh" // n + [0.6, 0.85]
  | "distinct" // pairwise at least 0.3 apart: amax/amin without near-ties
  | "coarse"; // multiples of 1/64 in [-2, 2): x +- 2^-10 is exact in float32 (the casts to float32)

export function valuesOf(kind: ValueKind, n: number, seed: number): number[] {
  const r = prng(seed);
  const int = () => Math.floor(r() * 5) - 2;
  switch (kind) {
    case "any": return Array.from({ length: n }, () => r() * 4 - 2);
    case "pos": return Array.from({ length: n }, () => 0.3 + r() * 2.2);
    case "away": return Array.from({ length: n }, () => int() + (r() < 0.5 ? -1 : 1) * (0.1 + r() * 0.25));
    case "gridLow": return Array.from({ length: n }, () => int() + 0.1 + r() * 0.25);
    case "gridHigh": return Array.from({ length: n }, () => int() + 0.6 + r() * 0.25);
    case "distinct": {
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      return order.map((i) => (i - n / 2) * 0.37 + r() * 0.05);
    }
    case "coarse": return Array.from({ length: n }, () => Math.floor(r() * 256) / 64 - 2);
  }
}

// ------------------------------------------------------------------ arbitraries

/** A dim size: 1..max, and 0 now and then when `zeros` is set. */
export function dimArb(max = 4, zeros = true): fc.Arbitrary<number> {
  const nonZero = fc.integer({ min: 1, max });
  return zeros ? fc.oneof({ arbitrary: nonZero, weight: 9 }, { arbitrary: fc.constant(0), weight: 1 }) : nonZero;
}

export interface ShapeOptions {
  minRank?: number;
  maxRank?: number;
  maxDim?: number;
  zeros?: boolean;
}

export function shapeArb({ minRank = 0, maxRank = 4, maxDim = 4, zeros = true }: ShapeOptions = {}): fc.Arbitrary<Shape> {
  return fc.array(dimArb(maxDim, zeros), { minLength: minRank, maxLength: maxRank });
}

/**
 * Values of a tensor: exact quarters (plenty of ties and exact sums) mixed with arbitrary
 * doubles in [-3, 3].
 */
export const valueArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -12, max: 12 }).map((v) => v / 4),
  fc.double({ min: -3, max: 3, noNaN: true, noDefaultInfinity: true }),
);

/** Exact quarters only: sums of them are exact in float64 whatever the order. */
export const quarterArb: fc.Arbitrary<number> = fc.integer({ min: -40, max: 40 }).map((v) => v / 4);

/** Positive values in (0, 3]: quarters and arbitrary doubles (log, sqrt). */
export const positiveArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 1, max: 12 }).map((v) => v / 4),
  fc.double({ min: 2 ** -8, max: 3, noNaN: true, noDefaultInfinity: true }),
);

/** Where the value properties draw an input's values from (gradcheck uses a `ValueKind`). */
export type Domain = "real" | "positive" | "quarters";

export function domainArb(domain: Domain): fc.Arbitrary<number> {
  return domain === "real" ? valueArb : domain === "positive" ? positiveArb : quarterArb;
}

export function dataArb(shape: readonly number[], values: fc.Arbitrary<number> = valueArb): fc.Arbitrary<number[]> {
  const n = numelOf(shape);
  return fc.array(values, { minLength: n, maxLength: n });
}

/** A shape with its row-major data. */
export function refArb(shapes: fc.Arbitrary<Shape> = shapeArb(), values: fc.Arbitrary<number> = valueArb): fc.Arbitrary<Ref> {
  return shapes.chain((shape) => dataArb(shape, values).map((data) => ({ shape, data })));
}

/** A random permutation of 0..n-1. */
export function permutationArb(n: number): fc.Arbitrary<number[]> {
  const ids = Array.from({ length: n }, (_, i) => i);
  return fc.shuffledSubarray(ids, { minLength: n, maxLength: n });
}

/**
 * A pair of broadcast-compatible shapes: a base shape; `a` sets random dims of it to 1,
 * `b` drops random leading dims and sets random dims to 1; the pair is swapped at random.
 */
export function broadcastPairArb(options: ShapeOptions = {}): fc.Arbitrary<[Shape, Shape]> {
  return shapeArb(options).chain((base) =>
    fc
      .tuple(
        fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }),
        fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }),
        fc.integer({ min: 0, max: base.length }),
        fc.boolean(),
      )
      .map(([onesA, onesB, drop, swap]): [Shape, Shape] => {
        const a = base.map((d, i) => (onesA[i] ? 1 : d));
        const b = base.map((d, i) => (onesB[i] ? 1 : d)).slice(drop);
        return swap ? [b, a] : [a, b];
      }),
  );
}

/**
 * Derive a shape compatible with `shape` for broadcasting (dims dropped from the front
 * or set to 1), so the second operand of a binary op can be built from the first.
 */
export function compatibleShapeArb(shape: readonly number[]): fc.Arbitrary<Shape> {
  return fc
    .tuple(
      fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
      fc.integer({ min: 0, max: shape.length }),
    )
    .map(([ones, drop]) => shape.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
}

/** A pair of shapes that cannot broadcast: some aligned dims differ and neither is 1. */
export function incompatiblePairArb(): fc.Arbitrary<[Shape, Shape]> {
  return fc
    .tuple(
      broadcastPairArb({ minRank: 1 }),
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom(0, 2, 3, 4),
      fc.constantFrom(0, 2, 3, 4),
    )
    .filter(([, , x, y]) => x !== y)
    .map(([[a, b], back, x, y]): [Shape, Shape] => {
      const a2 = a.length === 0 ? [1] : [...a];
      const b2 = b.length === 0 ? [1] : [...b];
      const k = Math.min(back, a2.length, b2.length);
      a2[a2.length - k] = x;
      b2[b2.length - k] = y;
      return [a2, b2];
    });
}

// ------------------------------------------------------------------ reduction dims

export interface DimsSpec {
  mode: "all" | "one" | "list";
  one: number;
  mask: boolean[];
  negative: boolean;
  keepdim: boolean;
}

export const dimsSpecArb: fc.Arbitrary<DimsSpec> = fc.record({
  mode: fc.constantFrom<DimsSpec["mode"]>("all", "one", "list"),
  one: fc.nat(7),
  mask: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  negative: fc.boolean(),
  keepdim: fc.boolean(),
});

/**
 * The `dim` argument a spec stands for at a given rank: undefined (all dims), one dim, or a
 * non-empty list, some given negatively. An empty list is never produced (torch reads
 * `dim=[]` as "all dims" for some reductions, a corner this suite leaves alone).
 */
export function dimsArg(spec: DimsSpec, rank: number): number | number[] | undefined {
  const wrap = (d: number) => (spec.negative && rank > 0 ? d - rank : d);
  if (spec.mode === "all") return undefined;
  if (spec.mode === "one") return rank === 0 ? (spec.negative ? -1 : 0) : wrap(spec.one % rank);
  const list = Array.from({ length: rank }, (_, d) => d).filter((d) => spec.mask[d]);
  return list.length === 0 ? undefined : list.map(wrap);
}

/** The reduced dims (non-negative, sorted) a `dim` argument stands for. */
export function reducedDims(dim: number | readonly number[] | undefined, rank: number): number[] {
  if (dim === undefined) return Array.from({ length: rank }, (_, d) => d);
  const list = typeof dim === "number" ? [dim] : [...dim];
  return [...new Set(list.map((d) => (d < 0 ? d + Math.max(rank, 1) : d)))]
    .filter((d) => d < rank)
    .sort((x, y) => x - y);
}

// ------------------------------------------------------------------ reshape targets

export interface ReshapeSpec {
  rank: number;
  picks: number[];
  inferAt: number | null;
}

export const reshapeSpecArb: fc.Arbitrary<ReshapeSpec> = fc.record({
  rank: fc.integer({ min: 0, max: 5 }),
  picks: fc.array(fc.nat(20), { minLength: 12, maxLength: 12 }),
  inferAt: fc.option(fc.nat(7), { nil: null }),
});

function primeFactors(n: number): number[] {
  const out: number[] = [];
  for (let p = 2; n > 1; p++) {
    while (n % p === 0) {
      out.push(p);
      n /= p;
    }
  }
  return out;
}

/**
 * A shape with `numel` elements built from a spec: the prime factors of numel dealt out
 * to random dims (the others 1), a 0 in a random dim for an empty tensor, and maybe one
 * dim replaced by -1 when it can be inferred.
 */
export function reshapeTarget(numel: number, spec: ReshapeSpec): { target: number[]; resolved: number[] } {
  let rank = spec.rank;
  if (rank === 0 && numel !== 1) rank = 1;
  const resolved = new Array<number>(rank).fill(1);
  if (numel === 0) {
    resolved[spec.picks[0] % rank] = 0;
    for (let d = 0; d < rank; d++) if (resolved[d] !== 0) resolved[d] = 1 + (spec.picks[(d + 1) % 12] % 3);
  } else {
    primeFactors(numel).forEach((p, i) => (resolved[spec.picks[i % 12] % rank] *= p));
  }
  const target = [...resolved];
  if (spec.inferAt !== null && rank > 0) {
    const at = spec.inferAt % rank;
    const others = numelOf(resolved.filter((_, d) => d !== at));
    if (others !== 0) target[at] = -1;
  }
  return { target, resolved };
}

// ------------------------------------------------------------------ comparisons

/** Row-major values of a nested array (a number is one value). */
export function flatValues(v: NestedArray): number[] {
  return typeof v === "number" ? [v] : v.flatMap(flatValues);
}

/** Equal, with NaN equal to NaN and +0 equal to -0. */
export function sameNumber(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** a and b within atol + rtol * max(|a|, |b|), NaN matching NaN and infinities matching exactly. */
export function closeNumber(a: number, b: number, atol: number, rtol: number): boolean {
  if (sameNumber(a, b)) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= atol + rtol * Math.max(Math.abs(a), Math.abs(b));
}

/** Compare two nested arrays (or a tensor's toArray() with a reference): same nesting, close values. */
export function expectNestedClose(got: NestedArray, want: NestedArray, what: string, atol = 0, rtol = 0): void {
  const walk = (g: NestedArray, w: NestedArray, at: string): void => {
    if (typeof w === "number") {
      if (typeof g !== "number") expect.fail(`${what}: expected a number at ${at}, got an array`);
      else if (!closeNumber(g, w, atol, rtol)) expect.fail(`${what}: ${g} at ${at}, expected ${w}`);
      return;
    }
    if (typeof g === "number" || g.length !== w.length) {
      expect.fail(`${what}: at ${at} got ${JSON.stringify(g)}, expected ${JSON.stringify(w)}`);
      return;
    }
    w.forEach((wi, i) => walk(g[i], wi, `${at}[${i}]`));
  };
  walk(got, want, "");
}

// ------------------------------------------------------------------ non-contiguous layouts

/**
 * How to reach a tensor of a target shape as a non-contiguous view of a base tensor:
 * permute the base, maybe select an extra dim away, take a stepped slice of every dim,
 * and expand the dims marked in `expand` (built with size 1).
 */
export interface LayoutSpec {
  perm: number[];
  steps: number[];
  starts: number[];
  tails: number[];
  select: { at: number; size: number; index: number } | null;
  expand: boolean[];
}

/** A non-contiguous view of `shape` with its base's data. */
export interface ViewInput {
  shape: Shape;
  layout: LayoutSpec;
  data: number[];
}

function preExpandShape(shape: readonly number[], layout: LayoutSpec): Shape {
  return shape.map((s, d) => (layout.expand[d] ? 1 : s));
}

/** The shape of the base tensor that `applyLayout` turns into `shape`. */
export function layoutBaseShape(shape: readonly number[], layout: LayoutSpec): Shape {
  const sliced: Shape = preExpandShape(shape, layout).map((s, d) => layout.starts[d] + s * layout.steps[d] + layout.tails[d]);
  if (layout.select) sliced.splice(layout.select.at, 0, layout.select.size);
  const base = new Array<number>(sliced.length);
  layout.perm.forEach((p, i) => (base[p] = sliced[i]));
  return base;
}

/** Turn a base tensor (of `layoutBaseShape`) into the view of `shape`. */
export function applyLayout(base: Tensor, shape: readonly number[], layout: LayoutSpec): Tensor {
  return layoutSteps(shape, layout).reduce(applyView, base);
}

/** The view ops `applyLayout` performs, for the references: permute, select, slices, expand. */
export function layoutSteps(shape: readonly number[], layout: LayoutSpec): ConcreteView[] {
  const steps: ConcreteView[] = [{ op: "permute", dims: layout.perm }];
  if (layout.select) steps.push({ op: "select", dim: layout.select.at, index: layout.select.index });
  preExpandShape(shape, layout).forEach((s, d) => {
    const start = layout.starts[d];
    steps.push({ op: "slice", dim: d, start, end: start + s * layout.steps[d], step: layout.steps[d] });
  });
  if (layout.expand.some((e) => e)) steps.push({ op: "expand", shape: [...shape] });
  return steps;
}

export function layoutArb(shape: readonly number[], { expand = true } = {}): fc.Arbitrary<LayoutSpec> {
  const r = shape.length;
  const selectArb = fc
    .record({ at: fc.integer({ min: 0, max: r }), size: fc.integer({ min: 1, max: 3 }), index: fc.nat(2) })
    .map((s) => ({ ...s, index: s.index % s.size }));
  const fixed = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { minLength: r, maxLength: r });
  return fc
    .record({
      select: r === 0 ? selectArb : fc.option(selectArb, { nil: null }),
      steps: fixed(fc.integer({ min: 1, max: 3 })),
      starts: fixed(fc.nat(2)),
      tails: fixed(fc.nat(1)),
      expand: expand ? fixed(fc.boolean()) : fc.constant(new Array<boolean>(r).fill(false)),
    })
    .chain((l) =>
      permutationArb(r + (l.select ? 1 : 0)).map(
        (perm): LayoutSpec => ({ ...l, perm, starts: l.starts.map((s, d) => s % l.steps[d]) }),
      ),
    );
}

export function viewInputArb(
  shape: readonly number[],
  values: fc.Arbitrary<number> = valueArb,
  options: { expand?: boolean } = {},
): fc.Arbitrary<ViewInput> {
  return layoutArb(shape, options).chain((layout) =>
    dataArb(layoutBaseShape(shape, layout), values).map((data) => ({ shape: [...shape], layout, data })),
  );
}

// ------------------------------------------------------------------ view chains

export const VIEW_OPS = [
  "transpose", "permute", "narrow", "select", "slice", "unsqueeze", "squeeze", "expand", "reshape", "view", "flatten",
] as const;
export type ViewOpName = (typeof VIEW_OPS)[number];

/** One step of a view chain: an op and raw numbers, read against the current shape. */
export interface ViewStep {
  op: ViewOpName;
  args: number[];
}

/** Steps of the given view ops (every one of them by default). */
export function viewStepArb(ops: readonly ViewOpName[] = VIEW_OPS): fc.Arbitrary<ViewStep> {
  return fc.record({
    op: fc.constantFrom(...ops),
    args: fc.array(fc.nat(40), { minLength: 14, maxLength: 14 }),
  });
}

/** A view op with concrete arguments, as it is called on a tensor. */
export type ConcreteView =
  | { op: "transpose"; dim0: number; dim1: number }
  | { op: "permute"; dims: number[] }
  | { op: "narrow"; dim: number; start: number; length: number }
  | { op: "select"; dim: number; index: number }
  | { op: "slice"; dim: number; start: number | null; end: number | null; step: number }
  | { op: "unsqueeze"; dim: number }
  | { op: "squeeze"; dim: number | undefined }
  | { op: "expand"; shape: number[] }
  | { op: "reshape" | "view"; shape: number[]; resolved: number[] }
  | { op: "flatten"; start: number; end: number };

const MAX_VIEW_RANK = 6;

/** Read a step against the current shape; null when the op does not apply at that shape. */
export function concreteView(step: ViewStep, shape: readonly number[]): ConcreteView | null {
  const a = step.args;
  const r = shape.length;
  const pickDim = (x: number, neg: number, rank = r) => {
    const d = x % rank;
    return neg % 2 === 1 ? d - rank : d;
  };
  switch (step.op) {
    case "transpose":
      if (r === 0) return { op: "transpose", dim0: a[0] % 2 === 0 ? 0 : -1, dim1: a[1] % 2 === 0 ? 0 : -1 };
      return { op: "transpose", dim0: pickDim(a[0], a[2]), dim1: pickDim(a[1], a[3]) };
    case "permute": {
      const dims = Array.from({ length: r }, (_, i) => i);
      for (let i = r - 1; i > 0; i--) {
        const j = a[i] % (i + 1);
        [dims[i], dims[j]] = [dims[j], dims[i]];
      }
      return { op: "permute", dims: dims.map((d, i) => (a[6 + i] % 3 === 0 ? d - r : d)) };
    }
    case "narrow": {
      if (r === 0) return null;
      const dim = pickDim(a[0], a[1]);
      const size = shape[dim < 0 ? dim + r : dim];
      const start = (a[2] % (2 * size + 1)) - size;
      const s = start < 0 ? start + size : start;
      return { op: "narrow", dim, start, length: a[3] % (size - s + 1) };
    }
    case "select": {
      if (r === 0) return null;
      const dim = pickDim(a[0], a[1]);
      const size = shape[dim < 0 ? dim + r : dim];
      if (size === 0) return null;
      return { op: "select", dim, index: (a[2] % (2 * size)) - size };
    }
    case "slice": {
      if (r === 0) return null;
      const dim = pickDim(a[0], a[1]);
      const size = shape[dim < 0 ? dim + r : dim];
      const bound = (x: number, y: number) => (y % 4 === 0 ? null : (x % (2 * size + 3)) - size - 1);
      return { op: "slice", dim, start: bound(a[2], a[3]), end: bound(a[4], a[5]), step: 1 + (a[6] % 3) };
    }
    case "unsqueeze":
      if (r >= MAX_VIEW_RANK) return null;
      return { op: "unsqueeze", dim: pickDim(a[0], a[1], r + 1) };
    case "squeeze":
      if (r === 0 || a[0] % 3 === 0) return { op: "squeeze", dim: undefined };
      return { op: "squeeze", dim: pickDim(a[1], a[2]) };
    case "expand": {
      const lead = r < MAX_VIEW_RANK ? a[0] % 2 : 0;
      const grown = shape.map((s, d) => (s === 1 ? a[1 + d] % 4 : a[1 + d] % 3 === 0 ? -1 : s));
      const leading = Array.from({ length: lead }, (_, i) => 1 + (a[8 + i] % 2));
      return { op: "expand", shape: [...leading, ...grown] };
    }
    case "reshape":
    case "view": {
      const { target, resolved } = reshapeTarget(numelOf(shape), {
        rank: a[0] % 5,
        picks: a.slice(1, 13),
        inferAt: a[13] % 3 === 0 ? null : a[13],
      });
      return { op: step.op, shape: target, resolved };
    }
    case "flatten": {
      if (r === 0) return { op: "flatten", start: 0, end: -1 };
      const s = a[0] % r;
      const e = s + (a[1] % (r - s));
      return { op: "flatten", start: a[2] % 2 === 0 ? s : s - r, end: a[3] % 2 === 0 ? e : e - r };
    }
  }
}

export function describeView(v: ConcreteView): string {
  switch (v.op) {
    case "transpose": return `transpose(${v.dim0}, ${v.dim1})`;
    case "permute": return `permute(${fmt(v.dims)})`;
    case "narrow": return `narrow(${v.dim}, ${v.start}, ${v.length})`;
    case "select": return `select(${v.dim}, ${v.index})`;
    case "slice": return `slice(${v.dim}, ${v.start}, ${v.end}, ${v.step})`;
    case "unsqueeze": return `unsqueeze(${v.dim})`;
    case "squeeze": return v.dim === undefined ? "squeeze()" : `squeeze(${v.dim})`;
    case "expand": return `expand(${fmt(v.shape)})`;
    case "reshape":
    case "view": return `${v.op}(${fmt(v.shape)})`;
    case "flatten": return `flatten(${v.start}, ${v.end})`;
  }
}

export function applyView(t: Tensor, v: ConcreteView): Tensor {
  switch (v.op) {
    case "transpose": return t.transpose(v.dim0, v.dim1);
    case "permute": return t.permute(v.dims);
    case "narrow": return t.narrow(v.dim, v.start, v.length);
    case "select": return t.select(v.dim, v.index);
    case "slice": return t.slice(v.dim, v.start, v.end, v.step);
    case "unsqueeze": return t.unsqueeze(v.dim);
    case "squeeze": return t.squeeze(v.dim);
    case "expand": return t.expand(v.shape);
    case "reshape": return t.reshape(v.shape);
    case "view": return t.view(v.shape);
    case "flatten": return t.flatten(v.start, v.end);
  }
}

/** The reference: the same view op on a plain row-major array, by index math. */
export function applyViewRef(x: Ref, v: ConcreteView): Ref {
  const r = x.shape.length;
  const wrap = (d: number, rank = r) => (d < 0 ? d + rank : d);
  /** Keep, along dim d, the source positions listed in `take`. */
  const pick = (d: number, take: number[]): Ref => {
    const shape = [...x.shape];
    shape[d] = take.length;
    return gather(x, shape, (idx) => idx.map((i, k) => (k === d ? take[i] : i)));
  };
  switch (v.op) {
    case "transpose":
    case "permute": {
      let order = Array.from({ length: r }, (_, i) => i);
      if (v.op === "permute") order = v.dims.map((d) => wrap(d));
      else if (r > 0) [order[wrap(v.dim0)], order[wrap(v.dim1)]] = [order[wrap(v.dim1)], order[wrap(v.dim0)]];
      return gather(x, order.map((d) => x.shape[d]), (idx) => {
        const src = new Array<number>(r);
        order.forEach((d, i) => (src[d] = idx[i]));
        return src;
      });
    }
    case "narrow": {
      const d = wrap(v.dim);
      const start = v.start < 0 ? v.start + x.shape[d] : v.start;
      return pick(d, Array.from({ length: v.length }, (_, i) => start + i));
    }
    case "select": {
      const d = wrap(v.dim);
      const index = v.index < 0 ? v.index + x.shape[d] : v.index;
      const one = pick(d, [index]);
      return { shape: one.shape.filter((_, k) => k !== d), data: one.data };
    }
    case "slice": {
      const d = wrap(v.dim);
      const size = x.shape[d];
      const norm = (b: number) => (b < 0 ? Math.max(b + size, 0) : Math.min(b, size));
      const take: number[] = [];
      for (let i = v.start === null ? 0 : norm(v.start); i < (v.end === null ? size : norm(v.end)); i += v.step) take.push(i);
      return pick(d, take);
    }
    case "unsqueeze": {
      const shape = [...x.shape];
      shape.splice(wrap(v.dim, r + 1), 0, 1);
      return { shape, data: x.data };
    }
    case "squeeze": {
      if (v.dim === undefined) return { shape: x.shape.filter((s) => s !== 1), data: x.data };
      const d = wrap(v.dim);
      return { shape: x.shape.filter((s, k) => k !== d || s !== 1), data: x.data };
    }
    case "expand": {
      const lead = v.shape.length - r;
      const shape = v.shape.map((s, k) => (s === -1 ? x.shape[k - lead] : s));
      return gather(x, shape, (idx) => broadcastIndex(idx, x.shape));
    }
    case "reshape":
    case "view":
      return { shape: v.resolved, data: x.data };
    case "flatten": {
      if (r === 0) return { shape: [1], data: x.data };
      const s = wrap(v.start);
      const e = wrap(v.end);
      return { shape: [...x.shape.slice(0, s), numelOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)], data: x.data };
    }
  }
}

/** The shape a reshape-like step asks for (the ops that may have to copy), else null. */
export function reshapeLikeTarget(v: ConcreteView, shape: readonly number[]): number[] | null {
  if (v.op === "reshape" || v.op === "view") return v.resolved;
  if (v.op === "flatten") return applyViewRef({ shape: [...shape], data: [] }, v).shape;
  return null;
}

// ------------------------------------------------------------------ references on plain arrays

/** A 0-d Ref holding one number (a scalar operand). */
export function scalarRef(v: number): Ref {
  return { shape: [], data: [v] };
}

/** Elementwise over one Ref. */
export function mapRef(x: Ref, f: (v: number) => number): Ref {
  return { shape: [...x.shape], data: x.data.map(f) };
}

/** An explicit loop over the broadcast shape, reading each operand at its expanded index (null: no broadcast). */
export function broadcastRef(refs: readonly Ref[], f: (...vs: number[]) => number): Ref | null {
  let shape: Shape | null = [];
  for (const r of refs) shape = shape === null ? null : npBroadcast(shape, r.shape);
  if (shape === null) return null;
  const out = shape;
  const data = allIndices(out).map((idx) => f(...refs.map((r) => r.data[ravel(broadcastIndex(idx, r.shape), r.shape)])));
  return { shape: out, data };
}

/** Reference reduction: loop over every input index, fold it into its output slot. */
export function reduceRef(x: Ref, dims: readonly number[], keepdim: boolean, init: number, fold: (acc: number, v: number) => number): Ref {
  const kept = x.shape.map((s, d) => (dims.includes(d) ? 1 : s));
  const acc = new Array<number>(numelOf(kept)).fill(init);
  allIndices(x.shape).forEach((idx, i) => {
    const o = ravel(idx.map((v, d) => (dims.includes(d) ? 0 : v)), kept);
    acc[o] = fold(acc[o], x.data[i]);
  });
  return { shape: keepdim ? kept : x.shape.filter((_, d) => !dims.includes(d)), data: acc };
}

/** Reference argmax: the first index of the largest value along dim (of the flattened values when omitted). */
export function argmaxRef(x: Ref, dim: number | undefined, keepdim: boolean): Ref {
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

/** Softmax (or log-softmax) along dim d (non-negative; 0 for a 0-d Ref). */
export function softmaxRef(x: Ref, d: number, log: boolean): Ref {
  if (x.shape.length === 0) return { shape: [], data: [log ? 0 : 1] };
  const data = new Array<number>(x.data.length).fill(0);
  const kept = x.shape.map((s, k) => (k === d ? 1 : s));
  for (const idx of allIndices(kept)) {
    const at = (j: number) => ravel(idx.map((v, k) => (k === d ? j : v)), x.shape);
    const row = Array.from({ length: x.shape[d] }, (_, j) => x.data[at(j)]);
    const max = Math.max(...row);
    const total = row.reduce((a, v) => a + Math.exp(v - max), 0);
    row.forEach((v, j) => (data[at(j)] = log ? v - max - Math.log(total) : Math.exp(v - max) / total));
  }
  return { shape: [...x.shape], data };
}

/** torch.matmul on plain arrays: 1-D operands as a row / a column, batch dims broadcast. */
export function matmulRef(a: Ref, b: Ref): Ref | null {
  const x = a.shape.length === 1 ? { shape: [1, ...a.shape], data: a.data } : a;
  const y = b.shape.length === 1 ? { shape: [...b.shape, 1], data: b.data } : b;
  if (x.shape.length < 2 || y.shape.length < 2) return null;
  const [m, k] = x.shape.slice(-2);
  const [k2, n] = y.shape.slice(-2);
  const batch = npBroadcast(x.shape.slice(0, -2), y.shape.slice(0, -2));
  if (k !== k2 || batch === null) return null;
  const shape = [...batch, m, n];
  const data = allIndices(shape).map((idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2);
    const xb = broadcastIndex(bi, x.shape.slice(0, -2));
    const yb = broadcastIndex(bi, y.shape.slice(0, -2));
    let acc = 0;
    for (let t = 0; t < k; t++) acc += x.data[ravel([...xb, i, t], x.shape)] * y.data[ravel([...yb, t, j], y.shape)];
    return acc;
  });
  let out = shape;
  if (a.shape.length === 1) out = out.filter((_, d) => d !== out.length - 2);
  if (b.shape.length === 1) out = out.slice(0, -1);
  return { shape: out, data };
}

/** Concatenation along dim d (non-negative) of Refs equal elsewhere. */
export function catRef(xs: readonly Ref[], d: number): Ref {
  const shape = [...xs[0].shape];
  shape[d] = xs.reduce((t, x) => t + x.shape[d], 0);
  const data = allIndices(shape).map((idx) => {
    let i = idx[d];
    let which = 0;
    while (i >= xs[which].shape[d]) i -= xs[which++].shape[d];
    return xs[which].data[ravel(idx.map((v, k) => (k === d ? i : v)), xs[which].shape)];
  });
  return { shape, data };
}

/** The slices at `index` along dim d (non-negative; a 0-d Ref is its own slice). */
export function indexSelectRef(x: Ref, d: number, index: readonly number[]): Ref {
  if (x.shape.length === 0) return { shape: [], data: [...x.data] };
  const shape = [...x.shape];
  shape[d] = index.length;
  return gather(x, shape, (idx) => idx.map((v, k) => (k === d ? index[v] : v)));
}

/** Shapes for matmul: 1-D or 2-D operands and batched ones whose batch dims broadcast. */
export function matmulShapesArb(maxDim: number): fc.Arbitrary<[Shape, Shape]> {
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
