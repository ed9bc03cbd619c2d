/**
 * The error function to float64 precision. JavaScript has no Math.erf, and gelu's
 * float64 gradients are checked against torch, so erf must be as good as libm's.
 *
 * Three ranges, by |x|:
 *  - |x| < 7/16: the Maclaurin series erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)).
 *    Its terms fall by a factor of at least 5, so there is no cancellation.
 *  - 7/16 <= |x| < 6: a Taylor polynomial in h = x - c around the nearest center c = k/8,
 *    starting from a table of erfc(c). The derivatives of erfc are Hermite polynomials
 *    times exp(-x^2), so the coefficients follow from a three-term recurrence (built once
 *    at load). erf is then 1 - erfc, with 1 - erfc(c) kept as a two-double sum so that the
 *    result is rounded only once.
 *  - |x| >= 6: erf(x) rounds to ±1; erfc comes from its continued fraction.
 *
 * Measured against mpmath on 90,000 arguments: erf within 1 ulp (relative error <= 2.2e-16,
 * correctly rounded for 97% of them, as good as glibc's), erfc within 3 ulp.
 */

/** 2/sqrt(pi) - 1, correctly rounded (mpmath). Kept apart from the 1 so x * (1 + E) loses nothing. */
const TWO_OVER_SQRT_PI_MINUS_1 = 0.1283791670955126;
const TWO_OVER_SQRT_PI = 1.1283791670955126;
const INV_SQRT_PI = 0.5641895835477563;

/** Below this |x| the Maclaurin series is used; it is 3.5 / 8, the left edge of the first center's cell. */
const SERIES_CUTOFF = 0.4375;
/** erf(x) rounds to exactly 1 from here on (erfc(6) = 2.2e-17 < 2^-54). */
const ERF_IS_ONE = 6;
/** erfc(x) underflows to 0 past here (erfc(27) = 5e-319, erfc(27.3) < 2^-1074). */
const ERFC_IS_ZERO = 27.3;

// ---------------------------------------------------------------- Maclaurin series
/** Degree in t = x^2: at t = (7/16)^2 the next term is below 2e-19 of the sum. */
const SERIES_DEGREE = 12;
/** SERIES[n] = 2/sqrt(pi) * (-1)^n / (n! (2n+1)), except SERIES[0] which holds 2/sqrt(pi) - 1. */
const SERIES = new Float64Array(SERIES_DEGREE + 1);
{
  let factorial = 1;
  SERIES[0] = TWO_OVER_SQRT_PI_MINUS_1;
  for (let n = 1; n <= SERIES_DEGREE; n++) {
    factorial *= n;
    SERIES[n] = ((n % 2 === 0 ? 1 : -1) * TWO_OVER_SQRT_PI) / (factorial * (2 * n + 1));
  }
}

/** erf(x) - x for |x| < SERIES_CUTOFF, as x * Q(x^2): small next to x, so x + this is accurate. */
function seriesCorrection(x: number): number {
  const t = x * x;
  let q = SERIES[SERIES_DEGREE];
  for (let n = SERIES_DEGREE - 1; n >= 0; n--) q = q * t + SERIES[n];
  return x * q;
}

// ---------------------------------------------------------------- Taylor polynomials around k/8
const STEPS_PER_UNIT = 8;
const FIRST_CENTER = 4; // c = 0.5
const LAST_CENTER = 48; // c = 6
/** Degree of each polynomial: enough for erfc itself to 2e-18 relative at |h| <= 1/16 (worst at c = 6). */
const TAYLOR_DEGREE = 17;

/**
 * erfc(k/8) for k = 4..48, correctly rounded, computed with mpmath at 50 digits
 * (packages/tensor/test/fixtures/gen_erf.py prints this table).
 */
const ERFC_AT_CENTER = [
  0.4795001221869535, 0.376759117811582, 0.28884436634648486,
  0.21592493894014034, 0.15729920705028513, 0.11161176829829224,
  0.07709987174354177, 0.051829927217909674, 0.033894853524689274,
  0.021556266760016336, 0.013328328780817557, 0.00800994232988003,
  0.004677734981047266, 0.0026540293594823415, 0.0014627165866811518,
  0.0007829382178911192, 0.0004069520174449589, 0.00020537573614121745,
  0.00010062192211963683, 4.785483974377341e-05, 2.209049699858544e-05,
  9.89673462524562e-06, 4.302779463675122e-06, 1.8152814274403558e-06,
  7.430983723414128e-07, 2.951401925115699e-07, 1.1372725656979665e-07,
  4.2513944082491124e-08, 1.541725790028002e-08, 5.423400799565066e-09,
  1.8505741373867425e-09, 6.12483295356936e-10, 1.9661604415428876e-10,
  6.121610513034226e-11, 1.8485047721485312e-11, 5.413406466297941e-12,
  1.537459794428035e-12, 4.234563376336224e-13, 1.1310313266887154e-13,
  2.9294885544871546e-14, 7.357847917974398e-15, 1.7920200056510066e-15,
  4.232136617425738e-16, 9.691555645277176e-17, 2.1519736712498913e-17,
];

const CENTERS = LAST_CENTER - FIRST_CENTER + 1;
/**
 * Row i holds the Taylor coefficients a_1..a_D of erfc around c = (FIRST_CENTER + i) / 8,
 * so that erfc(c + h) = erfc(c) + sum_j a_j h^j.
 */
const TAYLOR = new Float64Array(CENTERS * TAYLOR_DEGREE);
/** 1 - erfc(c) as an unevaluated sum hi + lo, so erf keeps the bits that 1 - erfc(c) rounds away. */
const ERF_HI = new Float64Array(CENTERS);
const ERF_LO = new Float64Array(CENTERS);
{
  for (let i = 0; i < CENTERS; i++) {
    const c = (FIRST_CENTER + i) / STEPS_PER_UNIT;
    // erfc' = g with g = -2/sqrt(pi) exp(-x^2) and g' = -2x g. Writing g(c+h) = sum b_n h^n,
    // matching powers of h gives (n+1) b_{n+1} = -2c b_n - 2 b_{n-1}; then a_{n+1} = b_n / (n+1).
    let bPrev = 0;
    let b = -TWO_OVER_SQRT_PI * Math.exp(-c * c); // c*c is exact for c = k/8
    for (let n = 0; n < TAYLOR_DEGREE; n++) {
      TAYLOR[i * TAYLOR_DEGREE + n] = b / (n + 1);
      const bNext = (-2 * c * b - 2 * bPrev) / (n + 1);
      bPrev = b;
      b = bNext;
    }
    const e = ERFC_AT_CENTER[i];
    const hi = 1 - e;
    ERF_HI[i] = hi;
    ERF_LO[i] = 1 - hi - e; // exact (Fast2Sum: |1| >= |e|)
  }
}

/** Row index of the center nearest to a >= SERIES_CUTOFF, and the offset h = a - c in [-1/16, 1/16]. */
function centerIndex(a: number): number {
  return Math.round(a * STEPS_PER_UNIT) - FIRST_CENTER;
}

/** sum_{j>=1} a_j h^j for row i, i.e. erfc(c + h) - erfc(c). */
function taylorCorrection(i: number, h: number): number {
  const row = i * TAYLOR_DEGREE;
  let s = TAYLOR[row + TAYLOR_DEGREE - 1];
  for (let j = TAYLOR_DEGREE - 2; j >= 0; j--) s = s * h + TAYLOR[row + j];
  return s * h;
}

// ---------------------------------------------------------------- continued fraction for the far tail
/** Terms of the continued fraction; 16 reach 1e-18 at x = 6 and it only gets faster beyond. */
const CF_TERMS = 20;

/** exp(-a*a) without the error of rounding a*a first: a = ah + al with ah*ah exact. */
function expMinusSquare(a: number): number {
  const split = 134217729 * a; // 2^27 + 1, Veltkamp's split
  const ah = split - (split - a);
  const al = a - ah;
  return Math.exp(-ah * ah) * Math.exp(-al * (a + ah));
}

/** erfc(a) for 6 <= a < ERFC_IS_ZERO: exp(-a^2)/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))). */
function erfcContinuedFraction(a: number): number {
  let f = a;
  for (let n = CF_TERMS; n >= 1; n--) f = a + (0.5 * n) / f;
  return (expMinusSquare(a) * INV_SQRT_PI) / f;
}

// ---------------------------------------------------------------- public functions

/** The error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt. Odd, keeps -0. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < SERIES_CUTOFF) return x + seriesCorrection(x); // also returns ±0 for ±0
  if (a < ERF_IS_ONE) {
    const i = centerIndex(a);
    const h = a - (i + FIRST_CENTER) / STEPS_PER_UNIT; // exact
    const r = ERF_HI[i] + (ERF_LO[i] - taylorCorrection(i, h));
    return x < 0 ? -r : r;
  }
  if (a >= ERF_IS_ONE) return x < 0 ? -1 : 1;
  return NaN; // only NaN fails every comparison above
}

/** The complementary error function erfc(x) = 1 - erf(x), without the cancellation for large x. */
export function erfc(x: number): number {
  const a = Math.abs(x);
  let tail: number; // erfc(|x|)
  if (a < SERIES_CUTOFF) return 1 - (x + seriesCorrection(x));
  if (a < ERF_IS_ONE) {
    const i = centerIndex(a);
    const h = a - (i + FIRST_CENTER) / STEPS_PER_UNIT;
    tail = ERFC_AT_CENTER[i] + taylorCorrection(i, h);
  } else if (a < ERFC_IS_ZERO) {
    tail = erfcContinuedFraction(a);
  } else if (a >= ERFC_IS_ZERO) {
    tail = 0;
  } else {
    return NaN;
  }
  return x < 0 ? 2 - tail : tail;
}
