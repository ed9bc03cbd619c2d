/**
 * `npx pnpm@10 --filter @minigrad/bench bench:browser`: builds the page (vite), serves it
 * cross-origin isolated and not, runs it in headless Chromium and prints the two rows for
 * each. A benchmark, not a test: it fails only if the page does not run.
 */
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { launchChromium } from "@minigrad/browser-tests/chromium";
import { serveStatic } from "@minigrad/browser-tests/server";
import type { BrowserBench } from "./main";

const here = fileURLToPath(new URL(".", import.meta.url));
await build({ configFile: `${here}vite.config.ts` });
const browser = await launchChromium();
try {
  for (const isolated of [true, false]) {
    const server = await serveStatic(`${here}dist/`, { isolated });
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => window.__bench !== undefined, undefined, { timeout: 300_000 });
    const r = (await page.evaluate(() => window.__bench)) as BrowserBench | { error: string };
    await page.close();
    await server.close();
    if ("error" in r) throw new Error(r.error);
    console.log(`\n${isolated ? "cross-origin isolated" : "not isolated"}: ${r.userAgent.match(/HeadlessChrome\/[\d.]+/)?.[0] ?? r.userAgent}, ` +
      `minigrad arena ${r.arena ? "on" : "off"}, one thread; TF.js ${r.tfjs.version} wasm, SIMD ${r.tfjs.simd}, ` +
      `threads ${r.tfjs.multithread ? r.tfjs.threads : 1} (hardwareConcurrency ${r.hardwareConcurrency})`);
    for (const row of r.rows) {
      const faster = row.unit === "GFLOP/s" ? row.minigrad / row.tfjsWasm : row.tfjsWasm / row.minigrad;
      console.log(`  ${row.id.padEnd(10)} minigrad ${row.minigrad.toFixed(2).padStart(7)}  TF.js wasm ${row.tfjsWasm.toFixed(2).padStart(7)}  ${row.unit}` +
        `  (minigrad ${faster.toFixed(2)}x, median of ${row.samples}; ${row.agreement})`);
    }
  }
} finally {
  await browser.close();
}
