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
 * A flag that takes one of a fixed set of names (`--optimizer adam`), or with `list`, a
 * comma-separated list of them (`--optimizers sgd,adam`).
 */
export interface ChoiceFlag {
  help: string;
  values: readonly string[];
  default: string;
  list?: boolean;
  /** Names that are known but refused, with the reason (printed with the supported names). */
  refused?: Readonly<Record<string, string>>;
}

/** A flag that takes a positive integer (`--words 4096`). */
export interface CountFlag {
  help: string;
  default: number;
}

/** What `parseFlags` returns: the numbers, each choice flag's value, and the flags given. */
export interface ParsedFlags<C extends string, P extends string = never, N extends string = never> {
  flags: TrainFlags;
  choices: Record<C, string>;
  /** Each count flag's value (its default when it was not given). */
  counts: Record<N, number>;
  /** Each file flag's value, or undefined when it was not given. */
  files: Record<P, string | undefined>;
  /** The standard flags set on the command line (the others hold the defaults). */
  given: ReadonlySet<keyof TrainFlags>;
}

/** Extra flags and help texts of one example. */
export interface FlagOptions<C extends string, P extends string = never, N extends string = never> {
  choices?: Readonly<Record<C, ChoiceFlag>>;
  /** Flags that take a positive integer, by name. */
  counts?: Readonly<Record<N, CountFlag>>;
  /** Flags that take a file path (`--checkpoint FILE`), by name, with their help texts. */
  files?: Readonly<Record<P, string>>;
  /** Replaces a standard flag's help text (e.g. an lr whose default depends on the optimizer). */
  help?: Partial<Record<keyof TrainFlags, string>>;
}

/**
 * Parse `--epochs 30 --lr 1e-3 ...` with the example's defaults. `--help` prints the
 * flags and exits 0; an unknown flag or a bad value prints why and exits 2.
 */
export function parseTrainFlags(script: string, about: string, defaults: TrainFlags, argv = process.argv.slice(2)): TrainFlags {
  return parseFlags(script, about, defaults, {}, argv).flags;
}

/** `parseTrainFlags` plus the example's own choice flags (`--optimizer`, `--scheduler`). */
export function parseFlags<C extends string = never, P extends string = never, N extends string = never>(
  script: string,
  about: string,
  defaults: TrainFlags,
  options: FlagOptions<C, P, N>,
  argv = process.argv.slice(2),
): ParsedFlags<C, P, N> {
  const choiceSpecs = Object.entries(options.choices ?? {}) as [C, ChoiceFlag][];
  const countSpecs = Object.entries(options.counts ?? {}) as [N, CountFlag][];
  const fileSpecs = Object.entries(options.files ?? {}) as [P, string][];
  const usage = () =>
    [
      `usage: ${script} [flags]`,
      "",
      about,
      "",
      ...SPECS.map((s) => {
        const help = options.help?.[s.name] ?? `${s.help} (default ${String(defaults[s.name])})`;
        return `  --${s.flag.padEnd(11)} ${help}`;
      }),
      ...countSpecs.map(([name, c]) => `  --${name.padEnd(11)} ${c.help} (default ${c.default})`),
      ...choiceSpecs.map(
        ([name, c]) => `  --${name.padEnd(11)} ${c.help}: ${c.values.join(", ")} (default ${c.default})`,
      ),
      ...fileSpecs.map(([name, help]) => `  --${name.padEnd(11)} FILE: ${help}`),
      "  --help        show this help",
    ].join("\n");
  const fail = (message: string): never => {
    console.error(`${script}: ${message}\n\n${usage()}`);
    process.exit(2);
  };
  let values: Record<string, string | boolean | undefined>;
  try {
    const flagNames = [
      ...SPECS.map((s) => s.flag),
      ...countSpecs.map(([name]) => name),
      ...choiceSpecs.map(([name]) => name),
      ...fileSpecs.map(([name]) => name),
    ];
    const parsed = Object.fromEntries(flagNames.map((flag) => [flag, { type: "string" as const }]));
    values = parseArgs({ args: argv, options: { ...parsed, help: { type: "boolean" } }, strict: true }).values;
  } catch (error) {
    return fail((error as Error).message);
  }
  if (values.help) {
    console.log(usage());
    process.exit(0);
  }
  const flags: TrainFlags = { ...defaults };
  const given = new Set<keyof TrainFlags>();
  for (const spec of SPECS) {
    const raw = values[spec.flag];
    if (typeof raw !== "string") continue;
    given.add(spec.name);
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
  const counts = {} as Record<N, number>;
  for (const [name, spec] of countSpecs) {
    const raw = values[name];
    if (typeof raw !== "string") {
      counts[name] = spec.default;
      continue;
    }
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isInteger(value)) fail(`--${name} expects an integer, got "${raw}"`);
    if (value <= 0) fail(`--${name} must be positive, got ${raw}`);
    counts[name] = value;
  }
  const choices = {} as Record<C, string>;
  for (const [name, spec] of choiceSpecs) {
    const raw = values[name];
    const value = typeof raw === "string" ? raw : spec.default;
    const items = spec.list ? value.split(",").map((s) => s.trim()) : [value];
    for (const item of items) {
      const reason = spec.refused?.[item];
      if (reason !== undefined) fail(`--${name} ${item}: ${reason}; supported: ${spec.values.join(", ")}`);
      if (!spec.values.includes(item)) {
        fail(`--${name} expects ${spec.list ? "a comma-separated list of" : "one of"} ${spec.values.join(", ")}, got "${item}"`);
      }
    }
    choices[name] = items.join(",");
  }
  const files = {} as Record<P, string | undefined>;
  for (const [name] of fileSpecs) {
    const raw = values[name];
    if (raw === "") fail(`--${name} expects a file path`);
    files[name] = typeof raw === "string" ? raw : undefined;
  }
  return { flags, choices, counts, files, given };
}
