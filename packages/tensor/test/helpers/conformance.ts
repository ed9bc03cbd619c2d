import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import * as T from "../../src/index";
import { Tensor, tensor, type DType } from "../../src/index";

/** A tensor as the PyTorch traces store it: row-major data, shape, optional dtype. */
export interface FixtureTensor {
  shape: number[];
  data: number[];
  dtype?: DType;
}

/** Read a JSON file from the repository's conformance/ folder (copied from shared/conformance). */
export function loadConformance<T>(file: string): T {
  const path = fileURLToPath(new URL(`../../../../conformance/${file}`, import.meta.url));
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

export function fromFixture(t: FixtureTensor, dtype: DType, requiresGrad = false): Tensor {
  return tensor(t.data, { shape: t.shape, dtype: t.dtype ?? dtype, requiresGrad });
}

/** The README's tolerances: float64 1e-10 + 1e-8 |want|, float32 1e-5 + 1e-4 |want|. */
export function tolerance(dtype: DType): { atol: number; rtol: number } {
  return dtype === "float64" ? { atol: 1e-10, rtol: 1e-8 } : { atol: 1e-5, rtol: 1e-4 };
}

/** Compare shape and every value (NaN matches NaN), reporting the first bad index. */
export function expectClose(got: Tensor, want: FixtureTensor, dtype: DType, what: string): void {
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  const { atol, rtol } = tolerance(dtype);
  const values = got.toTypedArray();
  for (let i = 0; i < want.data.length; i++) {
    const g = values[i];
    const w = want.data[i];
    const ok = Number.isNaN(w) ? Number.isNaN(g) : Math.abs(g - w) <= atol + rtol * Math.abs(w);
    if (!ok) expect.fail(`${what}: element ${i} is ${g}, PyTorch has ${w} (atol ${atol}, rtol ${rtol})`);
  }
}

/** A case in the ops.json schema (conformance/README.md). */
export interface OpCase {
  name: string;
  ts: string;
  dtype: DType;
  inputs: Record<string, FixtureTensor>;
  requiresGrad: string[];
  output: FixtureTensor;
  upstream: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

/** Evaluate a case's `ts` (an expression, or a body with `return`) with the given names bound. */
function evaluate(c: OpCase, bindings: Record<string, unknown>): Tensor {
  const body = c.ts.includes("return") ? c.ts : `return (${c.ts});`;
  const names = Object.keys(bindings);
  // The fixtures are code by design: new Function is how the README says to run them.
  return new Function(...names, body)(...names.map((n) => bindings[n])) as Tensor;
}

/**
 * Run one case: make the inputs, evaluate `ts` with a, b, c, T (this package) and F
 * (nn's functional, when given), compare the output, then the gradient of
 * (y * upstream).sum() with respect to each input.
 */
export function runOpCase(c: OpCase, F?: unknown): void {
  const inputs: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(c.inputs)) inputs[name] = fromFixture(t, c.dtype, c.requiresGrad.includes(name));
  const y = evaluate(c, { ...inputs, T, F });
  expectClose(y, c.output, c.dtype, "forward");
  y.mul(fromFixture(c.upstream, c.dtype)).sum().backward();
  for (const [name, want] of Object.entries(c.grads)) {
    const grad = inputs[name].grad;
    expect(grad, `grad of ${name}`).not.toBeNull();
    expectClose(grad as Tensor, want, c.dtype, `grad of ${name}`);
  }
}
