import { copyFileSync } from "node:fs";
import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: { compilerOptions: { paths: {} } },
  sourcemap: true,
  clean: true,
  target: "es2022",
  keepNames: true, // class names appear in messages and reprs; esbuild would rename self-referencing classes
  tsconfig: "tsconfig.build.json",
  // The tarball ships the repo's LICENSE; copied at every build (gitignored here) so it cannot drift.
  onSuccess: async () => copyFileSync("../../LICENSE", "LICENSE"),
});
