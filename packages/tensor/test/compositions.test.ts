import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runOpCase, type OpCase } from "./helpers/conformance";

/**
 * 218 random compositions of 2-4 ops (elementwise, broadcasting binaries, reductions,
 * softmax, views, a final matmul), recorded with PyTorch 1.13 by
 * fixtures/gen_compositions.py in the ops.json schema: values and gradients, float32 and
 * float64. A local stand-in for held-back traces of the same API.
 */
const file = fileURLToPath(new URL("./fixtures/compositions.json", import.meta.url));
const { cases } = JSON.parse(readFileSync(file, "utf8")) as { cases: OpCase[] };

describe("random op compositions match PyTorch", () => {
  it("has the recorded cases", () => expect(cases.length).toBeGreaterThan(200));
  for (const c of cases) it(`${c.name} (${c.dtype}): ${c.ts}`, () => runOpCase(c));
});
