/**
 * Compiles the hand-written WebAssembly text of the kernels and renders the generated TS
 * modules that carry each binary as base64. Shared by build-wasm.ts (which writes them) and the
 * tests (which check the committed ones are current).
 *
 * Two kinds of module:
 *  - matmul.wat, built twice: with a memory of its own (matmul-wasm.ts) and with an imported
 *    shared memory for the two-thread product (matmul-shared-wasm.ts);
 *  - kernel modules (`KERNEL_MODULES`: tensor's exp, arithmetic and softmax, optim's rmsprop), built
 *    once with their memory replaced by an imported shared one: tensor's kernels/wasm/module.ts
 *    runs them over the arena, or over a memory of its own with the import made non-shared.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import wabtInit from "wabt";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export const WAT_PATH = here("../src/kernels/wasm/matmul.wat");
export const GENERATED_PATH = here("../src/kernels/wasm/matmul-wasm.ts");
export const SHARED_GENERATED_PATH = here("../src/kernels/wasm/matmul-shared-wasm.ts");

/** A kernel module: its .wat, the generated file, the constant that holds the base64, and the test that checks it. */
export interface KernelModule {
  readonly wat: string;
  readonly generated: string;
  readonly constant: string;
  readonly test: string;
}

export const KERNEL_MODULES: readonly KernelModule[] = [
  {
    wat: here("../src/kernels/wasm/exp.wat"), generated: here("../src/kernels/wasm/exp-wasm.ts"),
    constant: "EXP_WASM_BASE64", test: "packages/tensor/test/arena-kernels.test.ts",
  },
  {
    wat: here("../src/kernels/wasm/arithmetic.wat"), generated: here("../src/kernels/wasm/arithmetic-wasm.ts"),
    constant: "ARITHMETIC_WASM_BASE64", test: "packages/tensor/test/arena-kernels.test.ts",
  },
  {
    wat: here("../src/kernels/wasm/softmax.wat"), generated: here("../src/kernels/wasm/softmax-wasm.ts"),
    constant: "SOFTMAX_WASM_BASE64", test: "packages/tensor/test/arena-kernels.test.ts",
  },
  {
    wat: here("../../optim/src/kernels/rmsprop.wat"), generated: here("../../optim/src/kernels/rmsprop-wasm.ts"),
    constant: "RMSPROP_WASM_BASE64", test: "packages/tensor/test/arena-kernels.test.ts",
  },
];

/** The kernels' own memory declaration, replaced in the shared builds. */
const OWN_MEMORY = '(memory (export "memory") 1)';
/**
 * The shared builds' memory: imported (the JS side makes one WebAssembly.Memory, the arena or
 * the two-thread matmul's, and hands it to each instance) and re-exported, so the JS code reads
 * it the same way. Shared memories need a maximum; 16384 pages is 1 GiB, arena.ts's
 * ARENA_MAX_PAGES and threads.ts's matmul memory.
 */
const SHARED_MEMORY = '(memory (export "memory") (import "env" "memory") 1 16384 shared)';

/** A .wat file as a WebAssembly binary; with `shared`, its memory imported and shared (wabt's threads feature). */
export async function compileWat(path: string, shared = false): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const name = path.slice(path.lastIndexOf("/") + 1);
  let source = await withIncludes(path, await readFile(path, "utf8"));
  if (shared) {
    if (source.split(OWN_MEMORY).length !== 2) throw new Error(`${name}: expected exactly one ${OWN_MEMORY}`);
    source = source.replace(OWN_MEMORY, SHARED_MEMORY);
  }
  const features = { simd: true, bulk_memory: true, threads: shared };
  const module = wabt.parseWat(name, source, features);
  try {
    module.resolveNames();
    // wabt's typings omit validate's features argument; without it "shared" is rejected.
    (module as unknown as { validate(features: object): void }).validate(features);
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/**
 * A line `;; #include lib/x.wat` is replaced by that file (relative to the including one): wasm
 * has no includes, and helpers such as the partial-vector loads are shared by several modules.
 */
async function withIncludes(path: string, source: string): Promise<string> {
  const dir = path.slice(0, path.lastIndexOf("/") + 1);
  const lines = await Promise.all(source.split("\n").map(async (line) => {
    const m = /^\s*;; #include (\S+)$/.exec(line);
    return m === null ? line : (await readFile(dir + m[1], "utf8")).replace(/\n$/, "");
  }));
  return lines.join("\n");
}

/** matmul.wat as a WebAssembly binary. Only the features the kernel uses are enabled. */
export function compileMatmulWat(): Promise<Uint8Array> {
  return compileWat(WAT_PATH);
}

/** matmul.wat with its memory imported and shared. */
export function compileSharedMatmulWat(): Promise<Uint8Array> {
  return compileWat(WAT_PATH, true);
}

function render(from: string, test: string, constant: string, what: string, bytes: Uint8Array): string {
  const base64 = Buffer.from(bytes).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 100) lines.push(`  "${base64.slice(i, i + 100)}"`);
  return [
    `// Generated by packages/tensor/scripts/build-wasm.ts from ${from}: do not edit.`,
    `// Regenerate with \`pnpm build:wasm\`; ${test} fails when this is stale.`,
    "",
    `/** ${what} (${bytes.length} bytes), base64: no fetch, no compile step to load it. */`,
    `export const ${constant} =`,
    `${lines.join(" +\n")};`,
    "",
  ].join("\n");
}

/** The text of matmul-wasm.ts for `bytes`. */
export function renderMatmulModule(bytes: Uint8Array): string {
  return render("matmul.wat", "test/matmul-wasm.test.ts", "MATMUL_WASM_BASE64", "matmul.wat compiled to WebAssembly", bytes);
}

/** The text of matmul-shared-wasm.ts for `bytes`. */
export function renderSharedMatmulModule(bytes: Uint8Array): string {
  return render("matmul.wat, memory shared", "test/matmul-threads.test.ts", "MATMUL_SHARED_WASM_BASE64",
    "matmul.wat with an imported shared memory, compiled to WebAssembly", bytes);
}

/** The text of a kernel module's generated file for `bytes`. */
export function renderKernelModule(m: KernelModule, bytes: Uint8Array): string {
  const name = m.wat.slice(m.wat.lastIndexOf("/") + 1);
  return render(`${name}, memory imported and shared`, m.test, m.constant,
    `${name} with an imported shared memory, compiled to WebAssembly`, bytes);
}
