import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests run against the TypeScript sources: package names resolve to src/, no build needed.
const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      "@minigrad/tensor": src("tensor"),
      // Before "@minigrad/nn", which would also match it as a prefix.
      "@minigrad/nn/node": fileURLToPath(new URL("./packages/nn/src/node.ts", import.meta.url)),
      "@minigrad/nn": src("nn"),
      "@minigrad/optim": src("optim"),
    },
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/test/**/*.test.ts", "bench/test/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
