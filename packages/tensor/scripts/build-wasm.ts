/**
 * `pnpm build:wasm`: compiles src/kernels/wasm/matmul.wat (with the `wabt` package) and writes
 * src/kernels/wasm/matmul-wasm.ts, then the same kernel with a shared, imported memory (for the
 * two-thread matmul, kernels/wasm/threads.ts) into src/kernels/wasm/matmul-shared-wasm.ts,
 * and src/kernels/wasm/elementwise.wat into src/kernels/wasm/elementwise-wasm.ts and, with the
 * arena's shared memory imported (kernels/wasm/arena.ts), elementwise-shared-wasm.ts.
 * The output is committed, so neither the tests nor the package build need this step; run it
 * after editing the .wat.
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import wabtInit from "wabt";
import {
  ELEMENTWISE_GENERATED_PATH, ELEMENTWISE_WAT_PATH, GENERATED_PATH, WAT_PATH, compileElementwiseWat, compileMatmulWat, renderElementwiseModule, renderMatmulModule,
} from "./wat";

export const SHARED_GENERATED_PATH = fileURLToPath(new URL("../src/kernels/wasm/matmul-shared-wasm.ts", import.meta.url));
export const ELEMENTWISE_SHARED_GENERATED_PATH = fileURLToPath(new URL("../src/kernels/wasm/elementwise-shared-wasm.ts", import.meta.url));

/** The kernels' own memory declaration, replaced in the shared builds. */
const OWN_MEMORY = '(memory (export "memory") 1)';
/**
 * The shared builds' memory: imported (the JS side makes one WebAssembly.Memory, the arena of
 * kernels/wasm/arena.ts or the two-thread matmul's, and hands it to each instance) and
 * re-exported, so the JS code reads it the same way. Shared memories need a maximum; 16384
 * pages is 1 GiB, arena.ts's ARENA_MAX_PAGES and threads.ts's MAX_PAGES.
 */
const SHARED_MEMORY = '(memory (export "memory") (import "env" "memory") 1 16384 shared)';

/** A .wat file with its memory imported and shared, as a WebAssembly binary (wabt's threads feature). */
export async function compileSharedWat(path: string, name: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const source = await readFile(path, "utf8");
  if (source.split(OWN_MEMORY).length !== 2) throw new Error(`${name}: expected exactly one ${OWN_MEMORY}`);
  const features = { simd: true, bulk_memory: true, threads: true };
  const module = wabt.parseWat(`${name} (shared)`, source.replace(OWN_MEMORY, SHARED_MEMORY), features);
  try {
    module.resolveNames();
    // wabt's typings omit validate's features argument; without it "shared" is rejected.
    (module as unknown as { validate(features: object): void }).validate(features);
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/** matmul.wat with its memory imported and shared. */
export function compileSharedMatmulWat(): Promise<Uint8Array> {
  return compileSharedWat(WAT_PATH, "matmul.wat");
}

/** elementwise.wat with its memory imported and shared (the arena's). */
export function compileSharedElementwiseWat(): Promise<Uint8Array> {
  return compileSharedWat(ELEMENTWISE_WAT_PATH, "elementwise.wat");
}

/** The text of elementwise-shared-wasm.ts for `bytes`. */
export function renderSharedElementwiseModule(bytes: Uint8Array): string {
  return renderElementwiseModule(bytes)
    .replace("from elementwise.wat: do not edit.", "from elementwise.wat, memory shared: do not edit.")
    .replace("/** elementwise.wat compiled", "/** elementwise.wat with an imported shared memory (the arena), compiled")
    .replace("export const ELEMENTWISE_WASM_BASE64 =", "export const ELEMENTWISE_SHARED_WASM_BASE64 =");
}

/** The text of matmul-shared-wasm.ts for `bytes`. */
export function renderSharedMatmulModule(bytes: Uint8Array): string {
  return renderMatmulModule(bytes)
    .replace("from matmul.wat: do not edit.", "from matmul.wat, memory shared: do not edit.")
    .replace("test/matmul-wasm.test.ts fails", "test/matmul-threads.test.ts fails")
    .replace("/** matmul.wat compiled", "/** matmul.wat with an imported shared memory, compiled")
    .replace("export const MATMUL_WASM_BASE64 =", "export const MATMUL_SHARED_WASM_BASE64 =");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const bytes = await compileMatmulWat();
  await writeFile(GENERATED_PATH, renderMatmulModule(bytes));
  console.log(`wrote ${GENERATED_PATH} (${bytes.length} bytes of wasm)`);
  const shared = await compileSharedMatmulWat();
  await writeFile(SHARED_GENERATED_PATH, renderSharedMatmulModule(shared));
  console.log(`wrote ${SHARED_GENERATED_PATH} (${shared.length} bytes of wasm)`);
  const elementwise = await compileElementwiseWat();
  await writeFile(ELEMENTWISE_GENERATED_PATH, renderElementwiseModule(elementwise));
  console.log(`wrote ${ELEMENTWISE_GENERATED_PATH} (${elementwise.length} bytes of wasm)`);
  const elementwiseShared = await compileSharedElementwiseWat();
  await writeFile(ELEMENTWISE_SHARED_GENERATED_PATH, renderSharedElementwiseModule(elementwiseShared));
  console.log(`wrote ${ELEMENTWISE_SHARED_GENERATED_PATH} (${elementwiseShared.length} bytes of wasm)`);
}
