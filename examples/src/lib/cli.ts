import { parseArgs } from "node:util";

/** The flags every training example takes. */
export interface TrainFlags {
  epochs: number;
  lr: number;
  batchSize: number;
  seed: number;
  out: string;
}

interface FlagSpec {
  name: keyof TrainFlags;
  flag: string;
  help: string;
}

const SPECS: readonly FlagSpec[] = [
  { name: "epochs", flag: "epochs", help: "passes over the training data" },
  { name: "lr", flag: "lr", help: "learning rate" },
  { name: "batchSize", flag: "batch-size", help: "examples per optimizer step" },
  { name: "seed", flag: "seed", help: "seed of the generator (init, shuffling)" },
  { name: "out", flag: "out", help: "folder for plots and outputs" },
];

/**
 * Parse `--epochs 30 --lr 1e-3 ...` with the example's defaults. `--help` prints the
 * flags and exits 0; an unknown flag or a bad value prints why and exits 2.
 */
export function parseTrainFlags(script: string, about: string, defaults: TrainFlags, argv = process.argv.slice(2)): TrainFlags {
  const usage = () =>
    [
      `usage: ${script} [flags]`,
      "",
      about,
      "",
      ...SPECS.map((s) => `  --${s.flag.padEnd(11)} ${s.help} (default ${String(defaults[s.name])})`),
      "  --help        show this help",
    ].join("\n");
  const fail = (message: string): never => {
    console.error(`${script}: ${message}\n\n${usage()}`);
    process.exit(2);
  };
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(SPECS.map((s) => [s.flag, { type: "string" as const }]));
    values = parseArgs({ args: argv, options: { ...options, help: { type: "boolean" } }, strict: true }).values;
  } catch (error) {
    return fail((error as Error).message);
  }
  if (values.help) {
    console.log(usage());
    process.exit(0);
  }
  const flags: TrainFlags = { ...defaults };
  for (const spec of SPECS) {
    const raw = values[spec.flag];
    if (typeof raw !== "string") continue;
    if (spec.name === "out") {
      flags.out = raw;
      continue;
    }
    const value = Number(raw);
    const integral = spec.name !== "lr";
    if (raw.trim() === "" || !Number.isFinite(value) || (integral && !Number.isInteger(value))) {
      fail(`--${spec.flag} expects ${integral ? "an integer" : "a number"}, got "${raw}"`);
    }
    if (spec.name !== "seed" && value <= 0) fail(`--${spec.flag} must be positive, got ${raw}`);
    if (spec.name === "seed" && value < 0) fail(`--seed must be non-negative, got ${raw}`);
    flags[spec.name as Exclude<keyof TrainFlags, "out">] = value;
  }
  return flags;
}
