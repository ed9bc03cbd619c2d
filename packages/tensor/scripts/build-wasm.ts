/**
 * `pnpm build:wasm`: compiles src/kernels/wasm/matmul.wat (with the `wabt` package) and writes
 * src/kernels/wasm/matmul-wasm.ts. The output is committed, so neither the tests nor the
 * package build need this step; run it after editing the .wat.
 */
import { writeFile } from "node:fs/promises";
import { GENERATED_PATH, compileMatmulWat, renderMatmulModule } from "./wat";

const bytes = await compileMatmulWat();
await writeFile(GENERATED_PATH, renderMatmulModule(bytes));
console.log(`wrote ${GENERATED_PATH} (${bytes.length} bytes of wasm)`);
