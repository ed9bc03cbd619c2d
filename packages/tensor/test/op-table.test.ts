import { describe, expect, it } from "vitest";
import * as api from "../src/index";
import { Tensor } from "../src/index";
import { OPS } from "./helpers/op-table";

/**
 * The op table (helpers/op-table.ts) drives the property tests and gradcheck. This test
 * makes it complete: every member of `Tensor.prototype` is either covered by a
 * differentiable entry or named below as having no gradient, so a new differentiable
 * method without an entry fails here, by name.
 */

/** Members of Tensor.prototype that carry no gradient (members whose name starts with `_` are internal). */
const NOT_DIFFERENTIABLE: Record<string, string> = {
  constructor: "the class",
  // properties and bookkeeping
  storage: "property", ndim: "property", numel: "property", version: "property", isLeaf: "property",
  requiresGrad: "property", grad: "property", isContiguous: "property", retainsGrad: "property",
  isDisposed: "memory", dispose: "memory",
  // autograd plumbing
  requiresGrad_: "autograd flag", retainGrad: "autograd flag", registerHook: "autograd hook", backward: "runs the graph",
  detach: "cuts the graph", detach_: "cuts the graph",
  // bool and integer results
  gt: "comparison", lt: "comparison", ge: "comparison", le: "comparison", eq: "comparison", ne: "comparison",
  argmax: "integer result",
  // data out
  item: "data out", toTypedArray: "data out", toNdarray: "data out", toArray: "data out", toString: "data out",
};

/** Tensor's members and those it inherits from TensorBase (tensor-base.ts), up to Object's. */
function prototypeMembers(): string[] {
  const names = new Set<string>();
  for (let p: object | null = Tensor.prototype; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) if (!name.startsWith("_")) names.add(name);
  }
  return [...names];
}

const covered = new Set(OPS.filter((e) => e.differentiable).flatMap((e) => e.members as readonly string[]));

describe("the op table covers every differentiable op", () => {
  it("has an entry for every differentiable member of Tensor.prototype", () => {
    const missing = prototypeMembers().filter((name) => !(name in NOT_DIFFERENTIABLE) && !covered.has(name));
    expect(missing, `Tensor members with no entry in test/helpers/op-table.ts: ${missing.join(", ")}`).toEqual([]);
  });

  it("names only members that exist (no stale entries or exemptions)", () => {
    const members = new Set(prototypeMembers());
    const listed = [...OPS.flatMap((e) => e.members as readonly string[]), ...Object.keys(NOT_DIFFERENTIABLE)];
    expect(listed.filter((name) => !members.has(name))).toEqual([]);
    const exports = api as Record<string, unknown>;
    expect(OPS.flatMap((e) => e.functions).filter((f) => typeof exports[f] !== "function")).toEqual([]);
  });

  it("does not call a differentiable member non-differentiable", () => {
    expect([...covered].filter((name) => name in NOT_DIFFERENTIABLE)).toEqual([]);
  });

  it("has unique names, and a fixed gradcheck example for every differentiable entry", () => {
    const names = OPS.map((e) => e.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    expect(OPS.filter((e) => e.differentiable && e.examples.length === 0).map((e) => e.name)).toEqual([]);
  });

  it("covers the free functions whose results carry a gradient", () => {
    const functions = new Set(OPS.flatMap((e) => e.functions));
    for (const f of ["cat", "stack", "where", "mm", "addmm"]) expect(functions.has(f), f).toBe(true);
  });
});
