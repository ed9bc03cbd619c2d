/** What ran the benchmark: CPU, cores, memory, Node and V8, and which minigrad build. */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join } from "node:path";

export interface MachineInfo {
  cpu: string;
  logicalCores: number;
  memoryGB: number;
  platform: string;
  arch: string;
  osRelease: string;
  node: string;
  v8: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    logicalCores: cpus.length,
    memoryGB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    platform: os.platform(),
    arch: os.arch(),
    osRelease: os.release(),
    node: process.version,
    v8: process.versions.v8,
  };
}

export interface PackageBuild {
  version: string;
  /** the file the bench imports (the package's built dist) */
  entry: string;
  built: boolean;
}

export const MINIGRAD_PACKAGES = ["@minigrad/tensor", "@minigrad/nn", "@minigrad/optim"] as const;

/** Where each minigrad package resolves from, and whether its dist is built. */
export function minigradBuilds(): Record<string, PackageBuild> {
  const require = createRequire(import.meta.url);
  const out: Record<string, PackageBuild> = {};
  for (const name of MINIGRAD_PACKAGES) {
    const pkgJson = require.resolve(`${name}/package.json`);
    const pkg = JSON.parse(readFileSync(pkgJson, "utf8")) as { version?: string };
    const entry = join(dirname(pkgJson), "dist", "index.js");
    out[name] = { version: pkg.version ?? "?", entry, built: existsSync(entry) };
  }
  return out;
}
