/**
 * Benchmark (not a test): the time of one RMSprop step over 1e6 float32 parameters, in
 * nanoseconds per element, for the default, momentum and centered configs.
 *
 *   npx tsx packages/optim/bench/rmsprop-step.ts        (or: pnpm --filter @minigrad/optim bench)
 *   npx tsx packages/optim/bench/rmsprop-step.ts --n 100000 --repeats 51
 *
 * Each config warms up (so V8 has optimized the update loop), then times `repeats` steps
 * one by one and reports the median and the fastest. Grads are fixed random values: the
 * step never reads them differently, so this measures the update alone.
 */
import { manualSeed, randn } from "@minigrad/tensor";
import { RMSprop, type RMSpropOptions } from "@minigrad/optim";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const n = flag("n", 1_000_000);
const repeats = flag("repeats", 31);
const warmup = flag("warmup", 10);

const configs: [string, RMSpropOptions][] = [
  ["default", {}],
  ["momentum 0.9", { momentum: 0.9 }],
  ["centered", { centered: true }],
  ["centered + momentum + weight decay", { centered: true, momentum: 0.9, weightDecay: 1e-4 }],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

manualSeed(0);
console.log(`RMSprop.step() over ${n.toExponential(0)} float32 parameters (one tensor), ${repeats} timed steps each`);
console.log(`Node ${process.version}\n`);
const header = ["median ns/elem".padStart(15), "best ns/elem".padStart(13), "median ms/step".padStart(15)];
console.log(`${"config".padEnd(36)} ${header.join(" ")}`);
for (const [name, options] of configs) {
  const param = randn([n], { requiresGrad: true });
  param.grad = randn([n]).mul(1e-2);
  // A tiny lr keeps the parameters (and the timing) steady however many steps run.
  const opt = new RMSprop([param], { lr: 1e-6, ...options });
  for (let i = 0; i < warmup; i++) opt.step();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    opt.step();
    times.push(performance.now() - t0);
  }
  const med = median(times);
  const best = Math.min(...times);
  console.log(
    `${name.padEnd(36)} ${((med * 1e6) / n).toFixed(2).padStart(15)} ${((best * 1e6) / n).toFixed(2).padStart(13)} ` +
      `${med.toFixed(2).padStart(15)}`,
  );
}
