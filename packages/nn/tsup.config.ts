import { copyFileSync } from "node:fs";
import { defineConfig } from "tsup";

export default defineConfig({
  // `node` (the `@minigrad/nn/node` subpath: file helpers) imports the main entry by its package
  // name, kept external, so both share one copy of SafetensorsError and the rest.
  entry: ["src/index.ts", "src/node.ts"],
  external: ["@minigrad/nn"],
  format: ["esm", "cjs"],
  // The node entry's types resolve `@minigrad/nn` to the sources (the dist is being built);
  // the declarations keep it as an import of the package.
  dts: { compilerOptions: { paths: { "@minigrad/nn": ["./src/index.ts"] } } },
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
