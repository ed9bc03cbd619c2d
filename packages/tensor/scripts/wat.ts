/**
 * Compiles the hand-written WebAssembly text of the kernels and renders the generated TS
 * modules that carry each binary as base64. Shared by build-wasm.ts (which writes them) and the
 * tests (which check the committed ones are current).
 *
 * Two kinds of module:
 *  - matmul.wat, built twice: with a memory of its own (matmul-wasm.ts) and with an imported
 *    shared memory for the two-thread product (matmul-shared-wasm.ts);
 *  - kernel modules (`KERNEL_MODULES`: tensor's exp, arithmetic and softmax, optim's rmsprop, adam and sgd), built
 *    once with their memory replaced by an imported shared one: tensor's kernels/wasm/module.ts
 *    runs them over the arena, or over a memory of its own with the import made non-shared.
 */
import { readFileSync } from "node:fs";
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
  {
    wat: here("../../optim/src/kernels/adam.wat"), generated: here("../../optim/src/kernels/adam-wasm.ts"),
    constant: "ADAM_WASM_BASE64", test: "packages/tensor/test/arena-kernels.test.ts",
  },
  {
    wat: here("../../optim/src/kernels/sgd.wat"), generated: here("../../optim/src/kernels/sgd-wasm.ts"),
    constant: "SGD_WASM_BASE64", test: "packages/tensor/test/arena-kernels.test.ts",
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

/**
 * The elementwise kernels a .wat exports, each with its number of inputs: a function with no
 * result whose parameters are i32 pointers to its inputs and its output and then `$count`,
 * i.e. `(param $src i32) (param $dst i32) (param $count i32)` (one input) or
 * `(param $a i32) (param $b i32) (param $out i32) (param $count i32)` (two). Anything else
 * (`sum`, `columnSums`, an optimizer's update) is not elementwise.
 */
export function elementwiseExports(source: string): Record<string, 1 | 2> {
  const out: Record<string, 1 | 2> = {};
  const func = /\(func \(export "(\w+)"\)((?:\s*\(param \$\w+ \w+\))*)\s*(\(result)?/g;
  for (const [, name, paramText, result] of source.matchAll(func)) {
    const params = [...paramText.matchAll(/\(param \$(\w+) (\w+)\)/g)];
    const inputs = params.length - 2;
    const pointersOnly = params.every(([, , type]) => type === "i32");
    if (result === undefined && pointersOnly && params.at(-1)?.[1] === "count" && (inputs === 1 || inputs === 2)) {
      out[name] = inputs;
    }
  }
  return out;
}

/** The name of a kernel module's table of elementwise exports: EXP_WASM_BASE64 -> EXP_ELEMENTWISE. */
export const elementwiseConstant = (m: KernelModule): string => m.constant.replace(/_WASM_BASE64$/, "_ELEMENTWISE");

/**
 * The text of a kernel module's generated file for `bytes`: the binary, and the table of its
 * elementwise exports when it has any (accelerate.ts makes an accelerated row of each).
 */
export function renderKernelModule(m: KernelModule, bytes: Uint8Array): string {
  const name = m.wat.slice(m.wat.lastIndexOf("/") + 1);
  const text = render(`${name}, memory imported and shared`, m.test, m.constant,
    `${name} with an imported shared memory, compiled to WebAssembly`, bytes);
  const kernels = Object.entries(elementwiseExports(readFileSync(m.wat, "utf8")));
  if (kernels.length === 0) return text;
  return [
    text,
    `/** ${name}'s elementwise kernels, each with its number of inputs: (src, dst, count) or (a, b, out, count). */`,
    `export const ${elementwiseConstant(m)} = { ${kernels.map(([k, n]) => `${k}: ${n}`).join(", ")} } as const;`,
    "",
  ].join("\n");
}
