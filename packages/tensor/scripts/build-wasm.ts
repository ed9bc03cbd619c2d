/**
 * `pnpm build:wasm`: compiles every hand-written .wat (see wat.ts) and writes the generated TS
 * modules that carry the binaries. The output is committed, so neither the tests nor the
 * package build need this step; run it after editing a .wat (a test fails if a generated file
 * is stale).
 */
import { writeFile } from "node:fs/promises";
import {
  GENERATED_PATH, KERNEL_MODULES, SHARED_GENERATED_PATH, compileMatmulWat, compileSharedMatmulWat, compileWat,
  renderKernelModule, renderMatmulModule, renderSharedMatmulModule,
} from "./wat";

async function write(path: string, text: string, bytes: Uint8Array): Promise<void> {
  await writeFile(path, text);
  console.log(`wrote ${path} (${bytes.length} bytes of wasm)`);
}

const own = await compileMatmulWat();
await write(GENERATED_PATH, renderMatmulModule(own), own);
const shared = await compileSharedMatmulWat();
await write(SHARED_GENERATED_PATH, renderSharedMatmulModule(shared), shared);
for (const m of KERNEL_MODULES) {
  const bytes = await compileWat(m.wat, true);
  await write(m.generated, renderKernelModule(m, bytes), bytes);
}
