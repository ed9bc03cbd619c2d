import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

interface EsbuildApi {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/**
 * Bundle a TypeScript entry (workspace packages resolved to their sources through the root
 * tsconfig's paths) into one ESM file for plain `node`, which starts in a few tens of ms where
 * `node --import tsx` takes half a second: for tests that spawn many processes. esbuild comes
 * with tsup (a root devDependency).
 */
export async function bundleForNode(entry: string, outfile: string): Promise<void> {
  const root = fileURLToPath(new URL("../../../../", import.meta.url));
  const fromTsup = createRequire(createRequire(`${root}package.json`).resolve("tsup/package.json"));
  const esbuild = fromTsup("esbuild") as EsbuildApi;
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    tsconfig: `${root}tsconfig.json`,
    logLevel: "error",
  });
}
