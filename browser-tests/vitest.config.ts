import { defineConfig } from "vitest/config";

// Node's side of the browser suite: the packages resolve by name to their built dist/ (no
// alias to src/, unlike the root config), the same code the page bundles.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
});
