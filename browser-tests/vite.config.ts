import { defineConfig } from "vite";

// The page imports @minigrad/* by name: Vite resolves them through the packages' exports maps
// (with the browser condition) to their built dist/, as an application would.
export default defineConfig({
  root: "page",
  base: "./",
  logLevel: "warn",
  build: { outDir: "../dist", emptyOutDir: true, target: "es2022", minify: false, chunkSizeWarningLimit: 4096 },
});
