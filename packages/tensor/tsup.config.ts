import { copyFileSync } from "node:fs";
import { defineConfig, type Options } from "tsup";

const common: Options = {
  entry: ["src/index.ts"],
  sourcemap: true,
  target: "es2022",
  keepNames: true, // class names appear in messages and reprs; esbuild would rename self-referencing classes
  tsconfig: "tsconfig.build.json",
};

/**
 * The browser build (the exports map's `browser` condition) leaves out the worker thread's
 * program, a Node script (`require("node:worker_threads")`, `process.on`) kept as text in
 * kernels/wasm/worker-source.ts. threads.ts starts that worker only where
 * `process.getBuiltinModule` exists, so in a browser the text is never used; here it is
 * replaced by an empty string and the bundle carries no Node code.
 */
const withoutWorkerProgram: NonNullable<Options["esbuildPlugins"]>[number] = {
  name: "without-worker-program",
  setup(build) {
    build.onResolve({ filter: /^\.\/worker-source$/ }, () => ({ path: "worker-source", namespace: "browser-stub" }));
    build.onLoad({ filter: /.*/, namespace: "browser-stub" }, () => ({
      contents: "// Node only (threads.ts never starts the worker in a browser)\nexport const WORKER_SOURCE = \"\";\n",
      loader: "ts",
    }));
  },
};

export default defineConfig([
  {
    ...common,
    format: ["esm", "cjs"],
    dts: { compilerOptions: { paths: {} } },
    // everything but the browser build's files, which the config below writes
    clean: ["!index.browser.js", "!index.browser.js.map"],
    // The tarball ships the repo's LICENSE; copied at every build (gitignored here) so it cannot drift.
    onSuccess: async () => copyFileSync("../../LICENSE", "LICENSE"),
  },
  {
    ...common,
    entry: { "index.browser": "src/index.ts" },
    format: ["esm"],
    platform: "browser",
    clean: false,
    esbuildPlugins: [withoutWorkerProgram],
  },
]);
