/**
 * exp and tanh for float32 results. Computed in double and rounded once to float32 by the
 * store, their double error (< 1e-10 relative) is under 0.2% of a float32 ulp, so results are
 * within 1 ulp of the exact value (correctly rounded in the vast majority of cases),
 * several times faster than Math.exp / Math.tanh, which spend effort on double accuracy
 * a float32 tensor then throws away. float64 tensors keep Math.exp and Math.tanh.
 */

// x = N ln2/16 + r, |r| <= ln2/32: e^x = 2^(N/16) e^r, with 2^(N/16) from a table and e^r
// a degree-4 polynomial (the first omitted term, r^5/120, is below 4e-11).
const SCALE = 16 / Math.LN2;
// ln2/16 split in two (Cody-Waite): HI has few enough bits that N * HI is exact.
const LN2_16_HI = Math.round((Math.LN2 / 16) * 2 ** 36) / 2 ** 36;
const LN2_16_LO = Math.LN2 / 16 - LN2_16_HI;
/** 2^(N/16) for the N of float32's range: N in [-2420, 2100). */
const OFFSET = 2420;
const POW2_16 = new Float64Array(OFFSET + 2100);
for (let i = 0; i < POW2_16.length; i++) POW2_16[i] = Math.pow(2, (i - OFFSET) / 16);

/** e^x to ~4e-11 relative error, for float32 inputs. */
export function expForFloat32(x: number): number {
  if (x > 88.8) return x === x ? Infinity : x; // overflows float32 (NaN stays NaN)
  if (x < -104) return 0; // below float32's smallest subnormal
  const n = Math.floor(x * SCALE + 0.5); // Math.round is far slower in V8
  const r = x - n * LN2_16_HI - n * LN2_16_LO;
  return POW2_16[n + OFFSET] * (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24)))));
}

/**
 * tanh for float32 inputs: (e^2x - 1) / (e^2x + 1), which is accurate for either sign
 * except near zero, where the difference cancels and the series x - x^3/3 + 2x^5/15 is
 * used; +-1 beyond |x| = 10 (tanh 10 is 1 to float32 precision). No branch depends on
 * the sign of x, so random-signed data costs no mispredictions.
 */
export function tanhForFloat32(x: number): number {
  if (x > 10) return 1;
  if (x < -10) return -1;
  if (x !== x) return x;
  if (Math.abs(x) < 0.02) {
    const x2 = x * x;
    return x * (1 - x2 * (1 / 3 - x2 * (2 / 15)));
  }
  // e = e^(2x), as expForFloat32 (written out: V8 would not inline it twice deep).
  const n = Math.floor(2 * x * SCALE + 0.5);
  const r = 2 * x - n * LN2_16_HI - n * LN2_16_LO;
  const e = POW2_16[n + OFFSET] * (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24)))));
  return (e - 1) / (e + 1);
}
