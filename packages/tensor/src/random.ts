/**
 * Seeded random numbers that are the same on every platform: all state updates are 32-bit
 * integer arithmetic (Math.imul, shifts), so no float rounding can differ between engines.
 *
 * The generator is xoshiro128** by David Blackman and Sebastiano Vigna (public domain,
 * https://prng.di.unimi.it/): 128 bits of state, period 2^128 - 1, fast in 32-bit code.
 * Its state is filled from the seed by a splitmix-style counter hashed with MurmurHash3's
 * 32-bit finalizer (constants from Austin Appleby's public-domain MurmurHash3).
 *
 * The streams are not torch's: the same seed gives different numbers than torch.manual_seed.
 */

import { ArgumentError } from "./errors";

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
/** 2^-32, 2^-24 and 2^-53: scale integers to [0, 1). */
const INV_2_32 = 1 / TWO_POW_32;
const INV_2_24 = 1 / 16777216;
const INV_2_53 = 1 / TWO_POW_53;
/** The golden-ratio increment of splitmix: floor(2^32 / phi). */
const GOLDEN = 0x9e3779b9;
/** A second odd increment for the high half of the seed: the first 32 bits of frac(sqrt(2)). */
const GOLDEN_B = 0x6a09e667;

/** The seed torch starts from (default_rng_seed_val), so a fresh program is reproducible. */
const DEFAULT_SEED = 67280421310721;

/** MurmurHash3's fmix32: a bijection on 32-bit integers that mixes every input bit into every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

// Scratch views for stepping to the neighbouring float: one buffer each, reused, so no allocation.
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The largest float64 strictly below x (x finite). */
function float64Below(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  f64[0] = x;
  i64[0] += x > 0 ? -1n : 1n;
  return f64[0];
}

/** The largest float32 strictly below x (x finite). */
function float32Below(x: number): number {
  const r = Math.fround(x);
  if (r < x) return r; // x was not a float32 and rounded down
  if (r === 0) return -1.401298464324817e-45; // -2^-149
  f32[0] = r;
  i32[0] += r > 0 ? -1 : 1;
  return f32[0];
}

/**
 * A seeded stream of random numbers (xoshiro128**), the same on every platform, as
 * torch.Generator; not torch's streams. `new Generator(seed)` or the shared `defaultGenerator`.
 *
 * @example
 * ```ts
 * const g = new Generator(0);
 * const x = rand([2, 3], { generator: g }); // the same values on every run
 * ```
 */
export class Generator {
  private seed = DEFAULT_SEED;
  // xoshiro128** state, four signed 32-bit integers (never all zero)
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number = DEFAULT_SEED) {
    this.manualSeed(seed);
  }

  /** Restart the stream from `seed`, any integer in [0, 2^53]. */
  manualSeed(seed: number): this {
    if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0) {
      throw new ArgumentError(`manualSeed: seed must be a non-negative integer, got ${String(seed)}`);
    }
    if (seed > TWO_POW_53) {
      throw new ArgumentError(`manualSeed: seed must be a non-negative integer, got ${seed} (above 2^53, not exact)`);
    }
    this.seed = seed;
    const lo = seed >>> 0; // seed mod 2^32
    const hi = Math.floor(seed / TWO_POW_32);
    // Two splitmix counters, one per half of the seed, with different increments. s0 alone
    // determines lo (fmix32 is a bijection), and then s1 determines hi, so distinct seeds give
    // distinct states. The state is never all zero: that would need lo + k*GOLDEN = hi +
    // (k-1)*GOLDEN_B for k = 2, 3, 4 at once, i.e. GOLDEN = GOLDEN_B.
    let a = lo;
    let b = hi;
    a = (a + GOLDEN) | 0;
    this.s0 = fmix32(a);
    a = (a + GOLDEN) | 0;
    b = (b + GOLDEN_B) | 0;
    this.s1 = fmix32(a) ^ fmix32(b);
    a = (a + GOLDEN) | 0;
    b = (b + GOLDEN_B) | 0;
    this.s2 = fmix32(a) ^ fmix32(b);
    a = (a + GOLDEN) | 0;
    b = (b + GOLDEN_B) | 0;
    this.s3 = fmix32(a) ^ fmix32(b);
    return this;
  }

  /** The seed this stream was last started from. */
  initialSeed(): number {
    return this.seed;
  }

  /**
   * A snapshot of the stream (as torch's `get_state`), plain data that JSON keeps: the seed
   * and the four 32-bit words of xoshiro128**'s state. `setState` continues from it exactly.
   */
  getState(): GeneratorState {
    return { seed: this.seed, state: [this.s0, this.s1, this.s2, this.s3] };
  }

  /** Continue the stream from a `getState()` snapshot (checked first: nothing changes if it is bad). */
  setState(state: GeneratorState): this {
    const words: unknown = state?.state;
    const seed: unknown = state?.seed;
    const ok =
      Array.isArray(words) &&
      words.length === 4 &&
      words.every((w) => Number.isInteger(w) && w >= -(2 ** 31) && w < 2 ** 32) &&
      words.some((w) => w !== 0) &&
      typeof seed === "number" && Number.isInteger(seed) && seed >= 0 && seed <= TWO_POW_53;
    if (!ok) {
      throw new ArgumentError(
        `setState: expected { seed, state: four 32-bit integers, not all 0 } from getState(), got ${safeJSON(state)}`,
      );
    }
    this.seed = seed as number;
    [this.s0, this.s1, this.s2, this.s3] = (words as number[]).map((w) => w | 0);
    return this;
  }

  /** A uniform integer in [0, 2^32). */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 = s1 ^ this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** A uniform double in [0, 1) with 53 random bits (27 + 26 from two draws). */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) * INV_2_53;
  }

  /** Fill `out` with uniform values in [low, high). */
  fillUniform(out: Float32Array | Float64Array, low: number, high: number): void {
    if (!(low <= high)) throw new ArgumentError(`uniform: low (${low}) must be <= high (${high})`);
    const width = high - low;
    if (out instanceof Float32Array) {
      // 24 random bits are all a float32 in [0, 1) can hold. The sum is rounded to float32 on
      // store, which can round up onto `high`; step back to the float32 below it.
      const top = low < high ? float32Below(high) : low;
      for (let i = 0; i < out.length; i++) {
        const v = Math.fround(low + width * ((this.nextUint32() >>> 8) * INV_2_24));
        out[i] = v >= high ? top : v;
      }
    } else {
      const top = low < high ? float64Below(high) : low; // >= low: low itself is a float64 < high
      for (let i = 0; i < out.length; i++) {
        const v = low + width * this.nextDouble();
        out[i] = v >= high ? top : v;
      }
    }
  }

  /** Fill `out` with normal samples (Box-Muller, both values of each pair used). */
  fillNormal(out: Float32Array | Float64Array, mean: number, std: number): void {
    if (!(std >= 0)) throw new ArgumentError(`normal: std must be >= 0, got ${std}`);
    const n = out.length;
    for (let i = 0; i < n; i += 2) {
      const u1 = 1 - this.nextDouble(); // in (0, 1], so the log is finite
      const u2 = this.nextDouble();
      const r = Math.sqrt(-2 * Math.log(u1));
      const theta = 2 * Math.PI * u2;
      out[i] = mean + std * r * Math.cos(theta);
      if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(theta);
    }
  }

  /** Fill `out` with uniform integers in [low, high). */
  fillRandint(out: Int32Array | Float32Array | Float64Array, low: number, high: number): void {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) {
      throw new ArgumentError(`randint: low (${low}) and high (${high}) must be integers`);
    }
    if (!(low < high)) throw new ArgumentError(`randint: low (${low}) must be < high (${high})`);
    const range = high - low;
    if (!Number.isSafeInteger(range)) throw new ArgumentError(`randint: range high - low = ${range} is too large`);
    for (let i = 0; i < out.length; i++) out[i] = low + this.below(range);
  }

  /** A uniformly shuffled permutation of 0..n-1 (Fisher-Yates). */
  randperm(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
      throw new ArgumentError(`randperm: n must be a non-negative integer, got ${n}`);
    }
    const perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const tmp = perm[i];
      perm[i] = perm[j];
      perm[j] = tmp;
    }
    return perm;
  }

  /**
   * A uniform integer in [0, range), range a positive safe integer. Draws that fall in the
   * incomplete last block of `range` values are rejected, so no value is favoured.
   */
  private below(range: number): number {
    if (range <= TWO_POW_32) {
      const limit = TWO_POW_32 - (TWO_POW_32 % range); // a multiple of range
      let r = this.nextUint32();
      while (r >= limit) r = this.nextUint32();
      return r % range;
    }
    // ranges beyond 32 bits: same idea with 53-bit integers
    const limit = TWO_POW_53 - (TWO_POW_53 % range);
    let r = this.nextDouble() * TWO_POW_53;
    while (r >= limit) r = this.nextDouble() * TWO_POW_53;
    return r % range;
  }
}

/** What `Generator.getState()` returns: the seed and xoshiro128**'s four state words (int32). */
export interface GeneratorState {
  /** The seed the stream was last started from (what `initialSeed()` returns). */
  seed: number;
  /** The four 32-bit state words, s0 to s3, as signed int32 (not all 0). */
  state: [number, number, number, number];
}

function safeJSON(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The generator every random op uses unless it is handed another; starts from a fixed seed. */
export const defaultGenerator = new Generator();

/** Reseed the default generator (like torch.manual_seed) and return it. */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}
