/**
 * TensorFlow.js in pure JS (no tfjs-node): the `cpu` backend and the `wasm` backend, the
 * latter loaded from node_modules (nothing is downloaded) with its SIMD binary where the
 * runtime validates SIMD, single-threaded (tfjs disables wasm threads under Node anyway).
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname } from "node:path";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import type { Impl } from "./timing";

export { tf };

export type TfBackend = "wasm" | "cpu";

export interface TfjsInfo {
  version: Record<string, string>;
  wasmDir: string;
  /** The .wasm file the backend actually read (seen by watching the file read). */
  wasmBinary: string | null;
  simd: boolean;
  multithread: boolean;
  threads: number;
  prodMode: boolean;
  flags: Record<string, unknown>;
}

export function backendOf(impl: Impl): TfBackend | null {
  return impl === "tfjs-wasm" ? "wasm" : impl === "tfjs-cpu" ? "cpu" : null;
}

/** Make `backend` the active one (cheap once both are initialised); untimed. */
export async function useBackend(backend: TfBackend): Promise<void> {
  if (tf.getBackend() === backend) return;
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`tfjs: could not switch to the ${backend} backend`);
}

/**
 * Initialise both backends. The wasm binaries are read from the package's own dist folder
 * (`setWasmPaths` with a file-system prefix); the file read is watched so the report can
 * say which binary (plain, SIMD or threaded SIMD) really ran.
 */
export async function initTfjs(): Promise<TfjsInfo> {
  const require = createRequire(import.meta.url);
  const wasmDir = `${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`;
  setWasmPaths(wasmDir);
  tf.enableProdMode(); // no debug checks in the timed ops, as any production use

  const read: string[] = [];
  const original = fs.readFileSync;
  const watching = ((...args: Parameters<typeof fs.readFileSync>) => {
    read.push(String(args[0]));
    return original(...args);
  }) as typeof fs.readFileSync;
  fs.readFileSync = watching;
  try {
    if (!(await tf.setBackend("wasm"))) throw new Error("tfjs: the wasm backend failed to initialise");
  } finally {
    fs.readFileSync = original;
  }
  const wasmRead = read.find((p) => p.endsWith(".wasm"));
  const threads = getThreadsCount();
  if (!(await tf.setBackend("cpu"))) throw new Error("tfjs: the cpu backend failed to initialise");
  await tf.ready();

  const env = tf.env();
  const simd = Boolean(env.getBool("WASM_HAS_SIMD_SUPPORT"));
  const multithread = Boolean(env.getBool("WASM_HAS_MULTITHREAD_SUPPORT"));
  if (simd && wasmRead !== undefined && !basename(wasmRead).includes("simd")) {
    throw new Error(`tfjs: SIMD is supported but the wasm backend loaded ${basename(wasmRead)}`);
  }
  return {
    version: { ...tf.version },
    wasmDir,
    wasmBinary: wasmRead === undefined ? null : basename(wasmRead),
    simd,
    multithread,
    threads,
    prodMode: Boolean(env.getBool("PROD")),
    flags: { ...env.getFlags() },
  };
}

/** Float32 values of a TF.js tensor (a copy for wasm). */
export function readF32(t: tf.Tensor): Float32Array {
  const d = t.dataSync();
  if (!(d instanceof Float32Array)) throw new Error(`tfjs: expected float32 data, got ${t.dtype}`);
  return d;
}
