import { defineConfig } from "vite";

/** Cross-origin isolation (SharedArrayBuffer, so minigrad's arena); the page works without it too. */
const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

// A static build with relative URLs, so dist/ can be served from any folder of any static host.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  server: { host: "127.0.0.1", port: 5173, strictPort: true, headers: ISOLATION },
  preview: { host: "127.0.0.1", port: 5173, strictPort: true, headers: ISOLATION },
});
