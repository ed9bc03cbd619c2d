import { defineConfig } from "vitest/config";

// The end-to-end tests: this process serves dist/ and drives Chromium; the packages resolve
// to their built dist/ (the Node results the page is compared with).
export default defineConfig({
  test: { include: ["test/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 },
});
