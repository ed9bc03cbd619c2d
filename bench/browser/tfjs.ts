/// <reference types="vite/client" />
/**
 * The browser's stand-in for src/tfjs.ts (vite.config.ts maps `./tfjs` here, so src/models.ts
 * and src/data.ts run unchanged in the page): TF.js's wasm backend with its binaries bundled
 * by Vite (no fetch from elsewhere), and the backend switch those modules use.
 */
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import plain from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url";
import simd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";
import threadedSimd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url";

export { tf };

export type TfBackend = "wasm" | "cpu";

export async function useBackend(backend: TfBackend): Promise<void> {
  if (tf.getBackend() === backend) return;
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: could not switch to the ${backend} backend`);
}

export interface TfjsBrowserInfo {
  version: string;
  simd: boolean;
  multithread: boolean;
  threads: number;
}

/** The wasm backend, from the bundled binaries; which one ran follows from SIMD and threads. */
export async function initTfjs(): Promise<TfjsBrowserInfo> {
  setWasmPaths({ "tfjs-backend-wasm.wasm": plain, "tfjs-backend-wasm-simd.wasm": simd, "tfjs-backend-wasm-threaded-simd.wasm": threadedSimd });
  tf.enableProdMode();
  await useBackend("wasm");
  await tf.ready();
  const env = tf.env();
  return {
    version: tf.version.tfjs,
    simd: Boolean(env.getBool("WASM_HAS_SIMD_SUPPORT")),
    multithread: Boolean(env.getBool("WASM_HAS_MULTITHREAD_SUPPORT")),
    threads: getThreadsCount(),
  };
}
