import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The bench's modules (../src/models.ts, ../src/data.ts) import "./tfjs", the Node setup;
// in the page that is ./tfjs.ts here.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  logLevel: "warn",
  resolve: { alias: [{ find: /^\.\/tfjs$/, replacement: fileURLToPath(new URL("./tfjs.ts", import.meta.url)) }] },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 8192 },
});
