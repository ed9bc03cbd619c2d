import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { erf, erfc } from "../src/math/erf";

interface ErfCase {
  x: number;
  erf: number; // correctly rounded (mpmath)
  erfc: number; // correctly rounded (mpmath)
  mathErf: number; // Python's math.erf
  mathErfc: number; // Python's math.erfc
}

// Made by fixtures/gen_erf.py.
const fixture = JSON.parse(readFileSync(new URL("./fixtures/erf.json", import.meta.url), "utf8")) as {
  cases: ErfCase[];
};

/** How many float64 values lie between a and b (0 when equal): the doubles ordered as integers. */
const view = new DataView(new ArrayBuffer(8));
function ordinal(v: number): bigint {
  view.setFloat64(0, v);
  const bits = view.getBigInt64(0);
  return bits < 0n ? -(bits & 0x7fffffffffffffffn) : bits;
}
function ulpsBetween(a: number, b: number): number {
  const d = ordinal(a) - ordinal(b);
  return Number(d < 0n ? -d : d);
}

describe("erf", () => {
  it("has enough reference points", () => {
    expect(fixture.cases.length).toBeGreaterThan(300);
  });

  it("is within 1 ulp of the correctly rounded value everywhere", () => {
    let worst = 0;
    for (const c of fixture.cases) {
      const got = erf(c.x);
      const ulps = ulpsBetween(got, c.erf);
      if (ulps > 1) expect.fail(`erf(${c.x}) = ${got}, want ${c.erf} (${ulps} ulp)`);
      worst = Math.max(worst, ulps);
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it("has relative error <= 2.3e-16 and agrees with Python's math.erf to 1 ulp", () => {
    for (const c of fixture.cases) {
      const got = erf(c.x);
      if (c.erf !== 0) expect(Math.abs(got - c.erf) / Math.abs(c.erf)).toBeLessThanOrEqual(2.3e-16);
      expect(ulpsBetween(got, c.mathErf)).toBeLessThanOrEqual(1);
    }
  });

  it("handles NaN, infinities and signed zeros", () => {
    expect(erf(NaN)).toBeNaN();
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(Object.is(erf(0), 0)).toBe(true);
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erf(Number.MIN_VALUE)).toBeGreaterThan(0);
    expect(erf(-Number.MAX_VALUE)).toBe(-1);
  });

  it("is exactly odd", () => {
    for (const c of fixture.cases) expect(erf(-c.x)).toBe(-erf(c.x));
  });

  it("is monotonic across the joins between its ranges", () => {
    // the series/table boundary, every cell edge between centers k/8, and the switch to ±1
    const joins = [0.4375, 6];
    for (let k = 4; k < 48; k++) joins.push((k + 0.5) / 8);
    for (const j of joins) {
      let prev = erf(j - 4e-15);
      for (let x = j - 3e-15; x <= j + 4e-15; x += 1e-15) {
        const y = erf(x);
        expect(y).toBeGreaterThanOrEqual(prev);
        prev = y;
      }
    }
  });
});

describe("erfc", () => {
  it("is within 4 ulp of the correctly rounded value (relative, while the result is a normal number)", () => {
    for (const c of fixture.cases) {
      const got = erfc(c.x);
      if (c.erfc < 2.2250738585072014e-308) {
        expect(Math.abs(got - c.erfc)).toBeLessThan(1e-320); // subnormal tail: absolute error only
        continue;
      }
      const ulps = ulpsBetween(got, c.erfc);
      if (ulps > 4) expect.fail(`erfc(${c.x}) = ${got}, want ${c.erfc} (${ulps} ulp)`);
    }
  });

  it("matches Python's math.erfc to a few ulp", () => {
    for (const c of fixture.cases) {
      if (c.mathErfc < 2.2250738585072014e-308) continue;
      expect(ulpsBetween(erfc(c.x), c.mathErfc)).toBeLessThanOrEqual(6);
    }
  });

  it("handles NaN, infinities and zeros", () => {
    expect(erfc(NaN)).toBeNaN();
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(-Infinity)).toBe(2);
    expect(erfc(0)).toBe(1);
    expect(erfc(-0)).toBe(1);
    expect(erfc(30)).toBe(0);
  });
});
