import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { functional as F } from "@minigrad/nn";
import { runOpCase, type OpCase } from "../../../tensor/test/helpers/conformance";

export type { OpCase };

/** Read a JSON file from packages/nn/test/fixtures (written by fixtures/gen_nn.py). */
export function loadFixture<J>(file: string): J {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url)), "utf8")) as J;
}

/** Run an ops.json-schema case with F bound to this package's functional. */
export function runCase(c: OpCase): void {
  runOpCase(c, F);
}
