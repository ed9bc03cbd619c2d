import { copyFileSync } from "node:fs";
import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: { compilerOptions: { paths: {} } },
  sourcemap: true,
  clean: true,
  target: "es2022",
  // Module.toString() prints class names (as torch's repr); without this, esbuild renames
  // classes that refer to themselves (`class _Embedding`) and the names leak into reprs.
  keepNames: true,
  tsconfig: "tsconfig.build.json",
  // The tarball ships the repo's LICENSE; copied at every build (gitignored here) so it cannot drift.
  onSuccess: async () => copyFileSync("../../LICENSE", "LICENSE"),
});
