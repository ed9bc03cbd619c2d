import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = join(dirname(fileURLToPath(import.meta.url)), "../src");
const IMPORT = /(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Every module specifier that the files reachable from `entry` by relative imports import. */
function reachableImports(entry: string): Map<string, string> {
  const seen = new Set<string>();
  const external = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, "utf8").matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith(".")) {
        const base = resolve(dirname(file), spec);
        const candidates = [`${base}.ts`, join(base, "index.ts")];
        const found = candidates.find((c) => {
          try {
            readFileSync(c);
            return true;
          } catch {
            return false;
          }
        });
        if (found === undefined) throw new Error(`${file}: cannot resolve ${spec}`);
        visit(found);
      } else external.set(spec, file);
    }
  };
  visit(entry);
  return external;
}

describe("@minigrad/nn stays browser-safe", () => {
  it("nothing reachable from src/index.ts imports a Node builtin; the file helpers are in src/node.ts", () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const main = reachableImports(join(src, "index.ts"));
    expect([...main.keys()].filter((spec) => builtins.has(spec) || spec.startsWith("node:"))).toEqual([]);
    expect([...main.keys()].sort()).toEqual(["@minigrad/tensor"]);
    const node = reachableImports(join(src, "node.ts"));
    expect(node.has("node:fs/promises")).toBe(true);
    // The node entry reaches the rest only through the package name, so bundles share one copy.
    expect([...node.keys()].filter((s) => !s.startsWith("node:")).sort()).toEqual(["@minigrad/nn", "@minigrad/tensor"]);
  });
});
