import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchChromium } from "../src/chromium";
import { serveStatic, type StaticServer } from "../src/server";
import { checks, environment, runChecks, type CheckResult, type Environment } from "../src/suite";

/**
 * The suite (src/suite.ts) in headless Chromium, once from a cross-origin isolated page
 * (COOP + COEP: SharedArrayBuffer, so the arena) and once from a plain one (no
 * SharedArrayBuffer: the kernels run over memories of their own). Every check must pass in
 * the page, and its digest must equal the one this Node process computes: the same bits.
 */

const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const NAMES = checks().map((c) => c.name);
const MODES = [
  { mode: "isolated", isolated: true },
  { mode: "not isolated", isolated: false },
] as const;

interface PageRun {
  environment: Environment;
  results: Map<string, CheckResult>;
  /** uncaught errors and console errors the page reported */
  errors: string[];
  ms: number;
}

/** float64 page vs Node: relative to max(|Node's value|, 1). */
const F64_CROSS_RUNTIME = 1e-13;
/** float64 checks whose bits differed between the page and Node (within F64_CROSS_RUNTIME). */
const f64Differences: string[] = [];

let browser: Browser | undefined;
const servers: StaticServer[] = [];
const node = new Map<string, CheckResult>();
const runs = new Map<string, PageRun>();

async function runPage(url: string): Promise<PageRun> {
  if (browser === undefined) throw new Error("no browser");
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console.error: ${m.text()}`);
  });
  const start = performance.now();
  await page.goto(url);
  await page.waitForFunction(() => window.__suite !== undefined, undefined, { timeout: 200_000, polling: 250 });
  const suite = await page.evaluate(() => window.__suite);
  await page.close();
  if (suite === undefined || "error" in suite) throw new Error(`the page's suite did not run: ${suite?.error}`);
  return { environment: suite.environment, results: new Map(suite.results.map((r) => [r.name, r])), errors, ms: performance.now() - start };
}

beforeAll(async () => {
  if (!existsSync(`${DIST}index.html`)) throw new Error("no page build: run `vite build` in browser-tests first (the test script does)");
  for (const r of runChecks()) node.set(r.name, r);
  browser = await launchChromium();
  for (const { mode, isolated } of MODES) {
    const server = await serveStatic(DIST, { isolated });
    servers.push(server);
    const run = await runPage(server.url);
    runs.set(mode, run);
    const failed = [...run.results.values()].filter((r) => !r.ok).length;
    console.log(`${mode}: ${run.results.size} checks, ${failed} failed, ${(run.ms / 1000).toFixed(1)} s; ${JSON.stringify(run.environment)}`);
  }
});

afterAll(async () => {
  if (f64Differences.length > 0) console.log(`float64 checks within ${F64_CROSS_RUNTIME} but not bit-identical: ${new Set(f64Differences).size}`);
  await browser?.close();
  await Promise.all(servers.map((s) => s.close()));
});

describe("the page's bundle", () => {
  it("carries no Node-only code: no require, no import of a Node built-in, no worker program, no process", () => {
    const code = readdirSync(`${DIST}assets`).filter((f) => f.endsWith(".js")).map((f) => readFileSync(`${DIST}assets/${f}`, "utf8")).join("\n");
    expect(code.length).toBeGreaterThan(100_000);
    expect(code).not.toMatch(/\brequire\(|\bfrom\s*["']node:|\bimport\(\s*["']node:|receiveMessageOnPort|\bprocess\.(on|exit|env)\b|\bBuffer\.from\b/);
    // threads.ts names its Node modules only as arguments of process.getBuiltinModule, which a browser lacks
    const named = [...code.matchAll(/["'`]node:[a-z_]+["'`]/g)].map((m) => code.slice(Math.max(0, m.index - 24), m.index + m[0].length));
    expect(named.every((at) => at.includes("getBuiltinModule("))).toBe(true);
    expect(named).toHaveLength(2);
  });
});

describe("Node (the reference digests)", () => {
  it("runs the arena and every check here", () => {
    expect(environment().arena).toBe(true);
    const failed = [...node.values()].filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`);
    expect(failed).toEqual([]);
    expect(node.size).toBe(NAMES.length);
  });
});

for (const { mode, isolated } of MODES) {
  describe(`Chromium, ${mode}`, () => {
    const run = () => runs.get(mode) ?? expect.fail(`no ${mode} run`);

    it(`has ${isolated ? "" : "no "}SharedArrayBuffer, and the arena ${isolated ? "on" : "off"}; WebAssembly SIMD either way`, () => {
      const env = run().environment;
      expect(env.userAgent).toMatch(/HeadlessChrome|Chrome/);
      expect({ crossOriginIsolated: env.crossOriginIsolated, sharedArrayBuffer: env.sharedArrayBuffer, arena: env.arena, simd: env.simd })
        .toEqual({ crossOriginIsolated: isolated, sharedArrayBuffer: isolated, arena: isolated, simd: true });
    });

    it("reports no page errors", () => {
      expect(run().errors).toEqual([]);
    });

    it("ran every check", () => {
      expect([...run().results.keys()]).toEqual(NAMES);
    });

    it.each(NAMES)("%s", (name) => {
      const got = run().results.get(name) ?? expect.fail("not run");
      expect(got.error, "in the page").toBe("");
      const want = node.get(name) ?? expect.fail("not run in Node");
      if (!got.float64 || got.digest === want.digest) {
        expect(got.digest, "digest: the page's bits equal Node's").toBe(want.digest);
        return;
      }
      // float64 runs through the engine's Math.exp, Math.pow, Math.log, ..., whose last bit
      // differs between V8 versions (Node 20's V8 11 and this Chromium's); float32 kernels
      // round it away or are minigrad's own (wasm, fround'd loops), so those must match by bits.
      expect(got.values, "values kept").not.toBeNull();
      expect(want.values, "values kept").not.toBeNull();
      expect(got.values?.length).toBe(want.values?.length);
      const w = want.values ?? [];
      const bad = (got.values ?? []).flatMap((g, i) => (Math.abs(g - w[i]) <= F64_CROSS_RUNTIME * Math.max(Math.abs(w[i]), 1) ? [] : [`[${i}] ${g} vs ${w[i]}`]));
      expect(bad, `page vs Node within ${F64_CROSS_RUNTIME} relative`).toEqual([]);
      f64Differences.push(name);
    });
  });
}
