import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The three layers import in one direction only: kernels (numbers on typed arrays)
 * know nothing of tensors or autograd; primitives in ops/ use kernels; Tensor uses ops.
 */
const src = fileURLToPath(new URL("../src/", import.meta.url));
const importsOf = (file: string) =>
  [...readFileSync(file, "utf8").matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1]);

describe("layering", () => {
  it("kernels import neither Tensor, ops nor autograd", () => {
    // recursive: kernels/wasm/ holds the WebAssembly matmul's JS side
    const files = readdirSync(`${src}kernels`, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    for (const file of files) {
      for (const spec of importsOf(`${src}kernels/${file}`)) {
        expect(spec, `kernels/${file} imports ${spec}`).not.toMatch(/tensor|ops\/|autograd/);
      }
    }
  });

  it("ops do not import the public barrel (no cycles through index.ts)", () => {
    for (const file of readdirSync(`${src}ops`)) {
      for (const spec of importsOf(`${src}ops/${file}`)) expect(spec, `ops/${file}`).not.toMatch(/index$/);
    }
  });
});
