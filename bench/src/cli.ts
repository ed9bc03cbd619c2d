/** Command-line flags of the benchmark. */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface Config {
  quick: boolean;
  /** Show TF.js figures with the result copied back to JS included (always recorded in the JSON). */
  readback: boolean;
  /** Only the rows whose id is listed (all rows when null). */
  only: ReadonlySet<string> | null;
  out: string;
  /** Overrides of the per-row warm-up and repeat counts. */
  warmup: number | null;
  repeats: number | null;
}

export const HELP = `minigrad vs TensorFlow.js (wasm and cpu backends), one run, one table.

usage: npx pnpm@10 bench [-- flags]        (builds packages/*, then runs)
       npx pnpm@10 --filter @minigrad/bench bench [-- flags]   (packages already built)

  --quick          short run (< 1 minute): fewer repeats, shorter memory loop, and no
                   TF.js cpu figures for the three heaviest rows
  --readback       show TF.js times with the result copied back to JS (dataSync) included
  --only a,b       run only these rows (ids: see bench/README.md)
  --warmup N       warm-up runs per implementation (overrides the per-row default)
  --repeats N      timed runs per implementation (overrides the per-row default)
  --out FILE       where to write the JSON (default bench/results.json)
  --help           this text
`;

const defaultOut = fileURLToPath(new URL("../results.json", import.meta.url));

export function parseArgs(argv: readonly string[]): Config | "help" {
  const args = argv.filter((a) => a !== "--");
  const cfg: Config = { quick: false, readback: false, only: null, out: defaultOut, warmup: null, repeats: null };
  const value = (i: number, name: string): string => {
    const v = args[i + 1];
    if (v === undefined || v.startsWith("--")) throw new Error(`${name} needs a value`);
    return v;
  };
  const count = (i: number, name: string): number => {
    const n = Number(value(i, name));
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} needs a whole number, got ${args[i + 1]}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    switch (a) {
      case "--quick": cfg.quick = true; break;
      case "--readback": cfg.readback = true; break;
      case "--help": case "-h": return "help";
      case "--only": cfg.only = new Set(value(i, a).split(",").map((s) => s.trim()).filter((s) => s !== "")); i++; break;
      case "--out": cfg.out = resolve(process.env.INIT_CWD ?? process.cwd(), value(i, a)); i++; break;
      case "--warmup": cfg.warmup = count(i, a); i++; break;
      case "--repeats": cfg.repeats = Math.max(1, count(i, a)); i++; break;
      default: throw new Error(`unknown flag ${a} (try --help)`);
    }
  }
  return cfg;
}
