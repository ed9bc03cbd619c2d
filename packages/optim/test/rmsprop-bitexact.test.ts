import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Tensor, tensor } from "@minigrad/tensor";
import { RMSprop, type RMSpropOptions } from "@minigrad/optim";
import { expectValues, f32Hex, loadConformance } from "./helpers/conformance";

// conformance/rmsprop-bitexact.json: golden float32 RMSprop trajectories from the research
// (torch-semantics.md Appendix A). minigrad follows PyTorch 1.13, whose results are the
// `*_torch113` / `sha256_of_final_param_bytes_le` fields; they equal the 2.x algorithm's
// everywhere except golden2 "centered" (1.13 updates gradAvg with mul_/add_, 2.x with lerp_).

interface SmallResult {
  kwargs: Record<string, number | boolean>;
  torch113_equals_2x_algorithm: boolean;
  params_after_each_step_2x: number[][];
  final_hex_2x: string[];
  final_hex_torch113: string[];
  square_avg_final: number[];
}

interface Golden2Result {
  kwargs: Record<string, number | boolean>;
  sha256_of_final_param_bytes_le: string;
  first8_hex: string[];
  sum_f64: number;
  sha256_2x_algorithm: string;
}

interface BitExact {
  p0: number[];
  grads: number[][];
  results: Record<string, SmallResult>;
  golden2: { N: number; T: number; results: Record<string, Golden2Result> };
}

const golden = loadConformance<BitExact>("rmsprop-bitexact.json");

/** The research recorded torch's Python kwargs; minigrad's options are the camelCase names. */
function options(kwargs: Record<string, number | boolean>): RMSpropOptions {
  return Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()), v]));
}

const hexOf = (t: Tensor) => Array.from(t.toTypedArray(), (x) => `0x${f32Hex(x)}`);

describe("conformance/rmsprop-bitexact.json, small case (5 elements, 3 steps)", () => {
  for (const [name, r] of Object.entries(golden.results)) {
    it(`${name}: every step, the final hex words and squareAvg`, () => {
      const p = tensor(golden.p0, { requiresGrad: true });
      const opt = new RMSprop([p], options(r.kwargs));
      golden.grads.forEach((g, k) => {
        p.grad = tensor(g);
        opt.step();
        // 9 significant digits identify a float32 exactly, so these are bitwise checks too.
        if (r.torch113_equals_2x_algorithm) expectValues(p.toTypedArray(), r.params_after_each_step_2x[k], "float32", `step ${k + 1}`);
      });
      expect(hexOf(p)).toEqual(r.final_hex_torch113);
      const squareAvg = opt.state.get(p)?.squareAvg as Tensor;
      expectValues(squareAvg.toTypedArray(), r.square_avg_final, "float32", "squareAvg");
    });
  }
});

describe("conformance/rmsprop-bitexact.json, golden2 (64 elements, 10 steps)", () => {
  const { N, T } = golden.golden2;
  for (const [name, r] of Object.entries(golden.golden2.results)) {
    it(`${name}: sha256 of the final float32 bytes is PyTorch 1.13's`, () => {
      const p = tensor(Array.from({ length: N }, (_, i) => ((i % 7) - 3) * 0.37), { requiresGrad: true });
      const opt = new RMSprop([p], options(r.kwargs));
      for (let t = 0; t < T; t++) {
        p.grad = tensor(Array.from({ length: N }, (_, i) => (((i * 31 + t * 17) % 23) - 11) / 7.0));
        opt.step();
      }
      const values = p.toTypedArray() as Float32Array;
      const sha = createHash("sha256").update(new Uint8Array(values.buffer)).digest("hex");
      expect(sha).toBe(r.sha256_of_final_param_bytes_le);
      expect(hexOf(p).slice(0, 8)).toEqual(r.first8_hex);
      expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(r.sum_f64, 12);
      if (name === "centered") expect(sha).not.toBe(r.sha256_2x_algorithm);
      else expect(sha).toBe(r.sha256_2x_algorithm);
    });
  }
});
