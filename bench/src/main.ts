/**
 * minigrad side by side with TensorFlow.js (wasm and cpu backends) in one run: prints one
 * table with ratios and PASS/MISS against issue 6's targets, and writes every figure to
 * bench/results.json. A benchmark, not a test: nothing here fails on a slow figure.
 *
 *   npx pnpm@10 bench                 full run (a few minutes); builds packages/* first
 *   npx pnpm@10 bench -- --quick      under a minute
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { HELP, parseArgs, type Config } from "./cli";
import { machineInfo, minigradBuilds } from "./machine";
import { countsFor } from "./row";

async function main(): Promise<number> {
  let parsed: Config | "help";
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}\n\n${HELP}`);
    return 2;
  }
  if (parsed === "help") {
    console.log(HELP);
    return 0;
  }
  const cfg = parsed;

  // The bench imports the built packages (dist/), as any user of them would.
  const builds = minigradBuilds();
  const missing = Object.entries(builds).filter(([, b]) => !b.built).map(([name]) => name);
  if (missing.length > 0) {
    console.error(`bench: ${missing.join(", ")} not built (no dist/). Run \`npx pnpm@10 build\` first, or use \`npx pnpm@10 bench\`, which builds.`);
    return 1;
  }
  // Imported only now, so a missing build gives the message above rather than a resolve error.
  const { ROW_IDS, runSuite } = await import("./suite");
  const { initTfjs } = await import("./tfjs");
  const { renderHeap, renderReport } = await import("./table");
  if (cfg.only !== null) {
    const unknown = [...cfg.only].filter((id) => !ROW_IDS.includes(id));
    if (unknown.length > 0) {
      console.error(`bench: unknown row id ${unknown.join(", ")}; the ids are ${ROW_IDS.join(", ")}`);
      return 2;
    }
  }

  const t0 = performance.now();
  const machine = machineInfo();
  const tfjs = await initTfjs();
  const light = countsFor(cfg, false);
  const heavy = countsFor(cfg, true);
  const header = [
    `minigrad vs TensorFlow.js ${tfjs.version.tfjs ?? tfjs.version["tfjs-core"]}, ${cfg.quick ? "--quick run" : "full run"}`,
    `machine: ${machine.cpu}, ${machine.logicalCores} logical cores, ${machine.memoryGB} GB; Node ${machine.node} (V8 ${machine.v8}), ${machine.platform}/${machine.arch}`,
    `TF.js wasm: ${tfjs.wasmBinary ?? "?"} (SIMD ${tfjs.simd ? "on" : "off"}, threads ${tfjs.threads}${tfjs.multithread ? "" : ", multithreading off"}), read from node_modules; TF.js cpu: pure JS; prod mode ${tfjs.prodMode ? "on" : "off"}`,
    `minigrad: ${Object.entries(builds).map(([n, b]) => `${n}@${b.version}`).join(", ")} (built dist); its worker thread shares long kernels as for any user (see README), matmul512 pinned to one thread, matmul512x2 to two`,
    `timing: implementations alternate within each row; median of ${light.repeats} runs after ${light.warmup} warm-up (heavy rows: ${heavy.repeats} after ${heavy.warmup})`,
  ];
  console.log(header.join("\n"));
  console.log("");

  const rows = await runSuite(cfg, (line) => process.stderr.write(`${line}\n`));
  const durationS = (performance.now() - t0) / 1000;

  console.log("");
  console.log(renderReport(rows));
  const heapRow = rows.find((r) => r.id === "heap");
  if (heapRow !== undefined) {
    const heap = renderHeap(heapRow);
    if (heap !== "") console.log(`\n${heap}`);
  }

  const pass = rows.filter((r) => r.status === "PASS").length;
  const miss = rows.filter((r) => r.status === "MISS").length;
  const results = {
    benchmark: "minigrad vs TensorFlow.js",
    date: new Date().toISOString(),
    mode: cfg.quick ? "quick" : "full",
    readbackInTable: cfg.readback,
    durationS: Math.round(durationS * 10) / 10,
    machine,
    tfjs,
    minigrad: builds,
    counts: { light, heavy },
    units: {
      ratio: "minigrad's speed relative to the backend (> 1: minigrad faster)",
      samples: "ms per timed run",
      opOnly: "TF.js figure with the op alone (the result is computed synchronously)",
      withReadback: "TF.js figure with the result also copied back to JS (dataSync)",
    },
    summary: { pass, miss },
    rows,
  };
  mkdirSync(dirname(cfg.out), { recursive: true });
  writeFileSync(cfg.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${rows.length} rows in ${durationS.toFixed(1)} s; every figure in ${cfg.out}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
