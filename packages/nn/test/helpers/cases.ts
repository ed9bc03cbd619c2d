import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import * as T from "@minigrad/tensor";
import { functional as F } from "@minigrad/nn";
import { expectClose, fromFixture, type FixtureTensor } from "../../../tensor/test/helpers/conformance";

/** A case in the ops.json schema (conformance/README.md), also used by fixtures/nn.json. */
export interface OpCase {
  name: string;
  ts: string;
  dtype: T.DType;
  inputs: Record<string, FixtureTensor>;
  requiresGrad: string[];
  output: FixtureTensor;
  upstream: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

/** Read a JSON file from packages/nn/test/fixtures (written by fixtures/gen_nn.py). */
export function loadFixture<J>(file: string): J {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url)), "utf8")) as J;
}

/** Evaluate a case's `ts` with a, b, c bound to the inputs, T to @minigrad/tensor and F to functional. */
function evaluate(c: OpCase, bindings: Record<string, unknown>): T.Tensor {
  const body = c.ts.includes("return") ? c.ts : `return (${c.ts});`;
  const names = Object.keys(bindings);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the fixtures are code by design
  return new Function(...names, body)(...names.map((n) => bindings[n])) as T.Tensor;
}

/** Forward values and shape, then the gradient of (y * upstream).sum() for each input. */
export function runCase(c: OpCase): void {
  const inputs: Record<string, T.Tensor> = {};
  for (const [name, t] of Object.entries(c.inputs)) {
    inputs[name] = fromFixture(t, c.dtype, c.requiresGrad.includes(name));
  }
  const y = evaluate(c, { ...inputs, T, F });
  expectClose(y, c.output, c.dtype, "forward");
  y.mul(fromFixture(c.upstream, c.dtype)).sum().backward();
  for (const [name, want] of Object.entries(c.grads)) {
    const grad = inputs[name].grad;
    expect(grad, `grad of ${name}`).not.toBeNull();
    expectClose(grad as T.Tensor, want, c.dtype, `grad of ${name}`);
  }
}
