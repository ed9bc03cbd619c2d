import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { preview } from "vite";
import { exportGraph, Generator, tensor, type Tensor } from "@minigrad/tensor";
import { Linear, Sequential, Tanh, functional as F } from "@minigrad/nn";
import { launchChromium } from "@minigrad/browser-tests/chromium";
import { serveStatic, type StaticServer } from "@minigrad/browser-tests/server";
import { LOSSES } from "../src/optimizers/losses";
import { optimizerChoice } from "../src/optimizers/registry";
import { makeDataset } from "../src/training/data";
import { fmt } from "../src/ui";

/**
 * The playground's static build in headless Chromium, served cross-origin isolated and not:
 * each panel clicked through, its numbers read off the page and compared with what minigrad
 * computes here in Node. The page is taken offline once loaded. Screenshots go to
 * test-output/ (gitignored).
 */

const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const OUT = fileURLToPath(new URL("../test-output/", import.meta.url));
const MODES = [
  { mode: "isolated", isolated: true },
  { mode: "not-isolated", isolated: false },
] as const;

let browser: Browser | undefined;
const servers: StaticServer[] = [];

beforeAll(async () => {
  if (!existsSync(`${DIST}index.html`)) throw new Error("no build: run `vite build` in playground first (the test script does)");
  mkdirSync(OUT, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.close()));
});

const num = async (page: Page, selector: string, attr: string): Promise<number> => {
  const v = await page.getAttribute(selector, attr);
  if (v === null || v === "") throw new Error(`${selector} has no ${attr}`);
  return Number(v);
};

/** Node's float64 value in the page: V8's Math.tanh/exp may differ in the last bit between versions. */
const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(want)));

async function setValue(page: Page, testid: string, value: string): Promise<void> {
  await page.fill(`[data-testid=${testid}]`, value);
  await page.dispatchEvent(`[data-testid=${testid}]`, "change");
}

describe("vite preview, what `npx pnpm@10 playground` serves", () => {
  it("serves the build cross-origin isolated, and the page comes up with the arena on", async () => {
    if (browser === undefined) throw new Error("no browser");
    // the package's vite.config.ts (127.0.0.1:5173), on a free port here so a running playground does not collide
    const server = await preview({ root: fileURLToPath(new URL("..", import.meta.url)), logLevel: "silent", preview: { port: 0, strictPort: false } });
    try {
      const url = server.resolvedUrls?.local[0] ?? expect.fail("vite preview gave no address");
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await browser.newPage();
      await page.goto(`${url}#training`);
      await page.waitForSelector("[data-testid=train-status][data-steps]");
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await page.getAttribute("[data-testid=environment]", "data-arena")).toBe("true");
      await page.close();
    } finally {
      await new Promise<void>((done, fail) => server.httpServer.close((e) => (e ? fail(e) : done())));
    }
  });
});

for (const { mode, isolated } of MODES) {
  describe(`playground, ${mode}`, () => {
    let context: BrowserContext;
    let page: Page;
    const errors: string[] = [];

    beforeAll(async () => {
      if (browser === undefined) throw new Error("no browser");
      const server = await serveStatic(DIST, { isolated });
      servers.push(server);
      context = await browser.newContext({ viewport: { width: 1250, height: 1000 } });
      page = await context.newPage();
      page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(`console.error: ${m.text()}`);
      });
      await page.goto(`${server.url}#graph`);
      await page.waitForSelector("[data-testid=graph-svg]");
      await context.setOffline(true); // everything from here on runs from what was loaded
    });

    afterAll(async () => {
      await context?.close();
    });

    it(`says it is ${isolated ? "" : "not "}cross-origin isolated, with the arena ${isolated ? "on" : "off"}`, async () => {
      expect(await page.getAttribute("[data-testid=environment]", "data-isolated")).toBe(String(isolated));
      expect(await page.getAttribute("[data-testid=environment]", "data-arena")).toBe(String(isolated));
    });

    it("Graph: (a * b + c).tanh() with a, b, c typed in; backward's gradients equal Node's", async () => {
      expect(await page.inputValue("[data-testid=expr]")).toBe("(a * b + c).tanh()");
      await setValue(page, "var-a", "0.7");
      await setValue(page, "var-b", "-1.3");
      await setValue(page, "var-c", "0.4");
      await page.click("[data-testid=backward]");

      const [a, b, c] = [0.7, -1.3, 0.4].map((v) => tensor(v, { dtype: "float64", requiresGrad: true }));
      const out = a.mul(b).add(c).tanh();
      out.backward();
      close(await num(page, "[data-testid=row-out]", "data-value"), out.item());
      for (const [name, t] of [["a", a], ["b", b], ["c", c]] as const) {
        const want = (t.grad as Tensor).item();
        close(await num(page, `[data-testid=row-${name}]`, "data-grad"), want);
        expect(await page.textContent(`[data-testid=row-${name}] td:nth-child(3)`)).toBe(fmt(want, 6));
      }
      // the graph's nodes are minigrad's: the same names as exportGraph prints here
      const names = await page.$$eval("[data-testid=graph-svg] g.node", (gs) => gs.map((g) => g.getAttribute("data-name")).sort());
      expect(names).toEqual(["AccumulateGrad", "AccumulateGrad", "AccumulateGrad", "AddBackward", "MulBackward", "TanhBackward"]);
      expect(await page.textContent("[data-testid=export-graph]")).toBe(exportGraph(out, { format: "mermaid", names: { a, b, c } }));
      await page.screenshot({ path: `${OUT}${mode}-graph-backward.png`, fullPage: true });
    });

    it("Graph: stepping backward node by node, in topological order, with each local derivative", async () => {
      const t = Math.tanh(0.7 * -1.3 + 0.4);
      let steps = 0;
      while (!(await page.isDisabled("[data-testid=step]"))) {
        await page.click("[data-testid=step]");
        steps++;
        if (steps === 1) {
          const now = (await page.textContent("[data-testid=step-now]")) ?? "";
          expect(now).toContain("TanhBackward");
          expect(now).toContain(`= ${fmt(1 - t * t, 6)}`); // d tanh(u)/du = 1 - tanh(u)^2, from the node's own backward
        }
        if (steps === 2) await page.screenshot({ path: `${OUT}${mode}-graph-step.png`, fullPage: true });
      }
      expect(steps).toBe(6); // Tanh, Add, Mul, then the three leaves
      const log = await page.$$eval("[data-testid=step-log] > li", (lis) => lis.map((li) => li.textContent ?? ""));
      expect(log.map((l) => l.split(/ of |:/)[0].trim())).toEqual([
        "TanhBackward", "AddBackward", expect.stringMatching(/MulBackward|AccumulateGrad \(c\)/), expect.stringMatching(/MulBackward|AccumulateGrad \(c\)/),
        expect.stringMatching(/AccumulateGrad \([ab]\)/), expect.stringMatching(/AccumulateGrad \([ab]\)/),
      ]);
      const mul = log.find((l) => l.startsWith("MulBackward")) ?? "";
      expect(mul).toContain(`∂(this)/∂a = ${fmt(-1.3, 6)}`); // d(ab)/da = b
      expect(mul).toContain(`∂(this)/∂b = ${fmt(0.7, 6)}`);
      for (const name of ["a", "b", "c"]) {
        expect(await num(page, `[data-testid=row-${name}]`, "data-stepped")).toBe(await num(page, `[data-testid=row-${name}]`, "data-grad"));
      }
    });

    it("Graph: another expression, parsed into minigrad ops; a bad one is reported", async () => {
      await setValue(page, "expr", "a.pow(2).sub(b.exp()) * c / (a + 3)");
      await page.click("[data-testid=backward]");
      const [a, b, c] = [0.7, -1.3, 0.4].map((v) => tensor(v, { dtype: "float64", requiresGrad: true }));
      const out = a.pow(tensor(2, { dtype: "float64" })).sub(b.exp()).mul(c).div(a.add(tensor(3, { dtype: "float64" })));
      out.backward();
      close(await num(page, "[data-testid=row-out]", "data-value"), out.item());
      for (const [name, t] of [["a", a], ["b", b], ["c", c]] as const) close(await num(page, `[data-testid=row-${name}]`, "data-grad"), (t.grad as Tensor).item());
      await setValue(page, "expr", "a * (b +");
      expect(await page.textContent("[data-testid=expr-error]")).toMatch(/ends too early/);
      await setValue(page, "expr", "(a * b + c).tanh()");
      expect(await page.textContent("[data-testid=expr-error]")).toBe("");
    });

    it("Optimizers: the paths move from the start, each point equal to Node's run of the same optimizer", async () => {
      await page.click("[data-testid=tab-optimizers]");
      await page.waitForSelector("[data-testid=race-RMSprop]");
      for (let k = 0; k < 3; k++) await page.click("[data-testid=race-step10]");
      const loss = LOSSES[0];
      const racing = await page.$$eval("[data-testid=race-table] tr[data-testid]", (rows) => rows.map((r) => (r.getAttribute("data-testid") ?? "").slice(5)));
      expect(racing).toEqual(["SGD momentum", "RMSprop", "Adam", "Adagrad"]);
      for (const name of racing) {
        const row = `[data-testid="race-${name}"]`;
        expect(await num(page, row, "data-steps")).toBe(30);
        const x = await num(page, row, "data-x");
        const y = await num(page, row, "data-y");
        const choice = optimizerChoice(name);
        const p = tensor(loss.start, { requiresGrad: true });
        const opt = choice.make([p], choice.lr.Rosenbrock);
        for (let k = 0; k < 30; k++) {
          opt.zeroGrad();
          loss.tensor(p).backward();
          opt.step();
        }
        const [wx, wy] = p.toTypedArray();
        expect([x, y], `${name}: float32 bits, page vs Node`).toEqual([wx, wy]);
        expect(Math.hypot(x - loss.start[0], y - loss.start[1]), `${name} moved`).toBeGreaterThan(1e-3);
        expect(await num(page, row, "data-loss"), `${name}: f fell`).toBeLessThan(loss.f(...loss.start));
      }
      // RMSprop's last update, written out: its new x is the point the race shows
      const update = (await page.textContent("[data-testid=update]")) ?? "";
      expect(update).toContain("RMSprop step 30");
      expect(update).toMatch(/v = α·v \+ \(1 − α\)·g²/);
      expect(update).toContain("√v + ε");
      expect(await num(page, "[data-testid=update-x]", "data-new")).toBe(await num(page, "[data-testid=race-RMSprop]", "data-x"));
      await page.screenshot({ path: `${OUT}${mode}-optimizers-rosenbrock.png`, fullPage: true });
    });

    it("Optimizers: Beale and the saddle, racing with start/pause", async () => {
      for (const name of ["Beale", "saddle"]) {
        await page.selectOption("[data-testid=loss]", name);
        const loss = LOSSES.find((l) => l.name === name) ?? LOSSES[0];
        await page.click("[data-testid=race-start]");
        await page.waitForFunction(() => Number(document.querySelector("[data-testid='race-Adam']")?.getAttribute("data-steps")) >= 40);
        await page.click("[data-testid=race-start]");
        const x = await num(page, "[data-testid='race-Adam']", "data-x");
        const y = await num(page, "[data-testid='race-Adam']", "data-y");
        expect(Math.hypot(x - loss.start[0], y - loss.start[1])).toBeGreaterThan(0.05);
        expect(await num(page, "[data-testid='race-Adam']", "data-loss")).toBeLessThan(loss.f(...loss.start));
        await page.screenshot({ path: `${OUT}${mode}-optimizers-${name.toLowerCase()}.png`, fullPage: true });
      }
    });

    it("Training: the MLP learns the spirals; its first loss is Node's, then the loss falls", async () => {
      await page.click("[data-testid=tab-training]");
      await page.waitForSelector("[data-testid=train-status][data-steps]");
      await page.click("[data-testid=train-start]");
      await page.waitForFunction(() => Number(document.querySelector("[data-testid=train-status]")?.getAttribute("data-steps")) >= 300, undefined, { timeout: 60_000 });
      await page.click("[data-testid=train-start]");
      const status = "[data-testid=train-status]";
      const first = await num(page, status, "data-first-loss");
      const last = await num(page, status, "data-loss");
      expect(last).toBeLessThan(first / 4);
      expect(await num(page, status, "data-accuracy")).toBeGreaterThan(0.8);

      // the same data, model and first step in Node
      const data = makeDataset("spirals", 100, 0.04, 7);
      const g = new Generator(1);
      const model = new Sequential(new Linear(2, 24, { generator: g }), new Tanh(), new Linear(24, 24, { generator: g }), new Tanh(), new Linear(24, 3, { generator: g }));
      const want = F.crossEntropy(model.forward(tensor(data.x, { shape: [data.y.length, 2] })), tensor(data.y)).item();
      expect(Math.abs(first - want)).toBeLessThanOrEqual(1e-6 * want);
      await page.screenshot({ path: `${OUT}${mode}-training.png`, fullPage: true });
    });

    it("reported no errors, and fetched nothing after loading (offline)", () => {
      expect(errors).toEqual([]);
    });
  });
}
