import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

describe("higher-order example", () => {
  it("Newton converges, the gradient penalty falls, the double-backward graph is written (torch's d2y/dw2)", () => {
    const tsx = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
    const examples = fileURLToPath(new URL("..", import.meta.url));
    const out = mkdtempSync(join(tmpdir(), "minigrad-higher-order-"));
    const result = spawnSync(tsx, [join("src", "higher-order.ts"), "--epochs", "40", "--out", out], {
      cwd: examples, encoding: "utf8", env: { ...process.env, INIT_CWD: "" },
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const stdout = result.stdout;
    expect(stdout).toContain("step 8: Newton (1.322077, -2.066104) f = -2.365889750");
    const before = Number(/penalty before: ([\d.]+)/.exec(stdout)?.[1]);
    const after = Number(/penalty after: ([\d.]+)/.exec(stdout)?.[1]);
    expect(after).toBeLessThan(before / 2);
    // torch 1.13: w = 0.5, x = 2: dy/dw = 0.8399486832280523, d2y/dw2 = -2.5588000337968984
    expect(stdout).toContain("dy/dw = 0.839948683, d2y/dw2 = -2.558800034");
    expect(readFileSync(join(out, "higher-order.dot"), "utf8")).toMatch(/^digraph/);
    expect(readFileSync(join(out, "higher-order.mmd"), "utf8")).toContain("TanhBackward");
  });
});
