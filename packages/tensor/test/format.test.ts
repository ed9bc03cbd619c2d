import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { DType } from "../src/dtype";
import { formatTensor } from "../src/format";

type Encoded = number | "nan" | "inf" | "-inf";
interface FormatCase {
  name: string;
  dtype: DType;
  shape: number[];
  values?: Encoded[];
  pattern?: { kind: "mod" | "parity" | "arange"; divisor: number; patch: [number, Encoded][] };
  suffixes: string[];
  expected: string;
}

// Printed by torch itself: fixtures/gen_format.py.
const fixture = JSON.parse(readFileSync(new URL("./fixtures/format.json", import.meta.url), "utf8")) as {
  torch: string;
  cases: FormatCase[];
};

function decode(v: Encoded): number {
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return v;
}

/** The same formulas as pattern_values() in gen_format.py. */
function patternValues(n: number, p: NonNullable<FormatCase["pattern"]>): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    if (p.kind === "mod") out[i] = (((i * 7919) % 2003) - 1001) / p.divisor;
    else if (p.kind === "parity") out[i] = ((i * 7919) % 2003) % 2;
    else out[i] = i / p.divisor;
  }
  for (const [i, v] of p.patch) out[i] = decode(v);
  return out;
}

/** The storage a tensor of this dtype would hand to formatTensor. */
function storage(c: FormatCase): ArrayLike<number> {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const values = c.pattern ? patternValues(n, c.pattern) : c.values!.map(decode);
  switch (c.dtype) {
    case "float32": return Float32Array.from(values);
    case "float64": return Float64Array.from(values);
    case "int32": return Int32Array.from(values);
    case "bool": return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

describe(`formatTensor matches torch ${fixture.torch}`, () => {
  it("covers every kind of case", () => {
    const names = fixture.cases.map((c) => c.name).join("\n");
    for (const kind of ["scalar", "1d", "2d", "3d", "4d", "wrap", "summarize", "sci", "int mode", "nan", "empty", "bool", "int32", "float64", "requires_grad", "grad_fn", "ties"]) {
      expect(names).toContain(kind);
    }
  });

  for (const c of fixture.cases) {
    it(c.name, () => {
      expect(formatTensor(storage(c), c.shape, c.dtype, c.suffixes)).toBe(c.expected);
    });
  }
});

describe("formatTensor by hand", () => {
  it("prints 0-d tensors and plain vectors", () => {
    expect(formatTensor(Float32Array.of(1.5), [], "float32", [])).toBe("tensor(1.5000)");
    expect(formatTensor(Float64Array.of(2), [], "float64", ["dtype=float64"])).toBe("tensor(2., dtype=float64)");
    expect(formatTensor(Uint8Array.of(1, 0), [2], "bool", [])).toBe("tensor([ True, False])");
    expect(formatTensor(Int32Array.of(-3, 10), [2], "int32", [])).toBe("tensor([-3, 10])");
  });

  it("prints empty tensors with the size torch adds", () => {
    expect(formatTensor(new Float32Array(0), [0], "float32", [])).toBe("tensor([])");
    expect(formatTensor(new Float32Array(0), [0, 3], "float32", [])).toBe("tensor([], size=(0, 3))");
    expect(formatTensor(new Int32Array(0), [0], "int32", [])).toBe("tensor([], dtype=int32)");
    // a dtype suffix from the caller is not repeated
    expect(formatTensor(new Float64Array(0), [2, 0], "float64", ["dtype=float64", "requires_grad=True"])).toBe(
      "tensor([], size=(2, 0), dtype=float64, requires_grad=True)",
    );
  });

  it("rounds exact ties to even like Python's format", () => {
    expect(formatTensor(Float64Array.of(0.03125, 1.09375), [2], "float64", [])).toBe("tensor([0.0312, 1.0938])");
    expect(formatTensor(Float64Array.of(12345, 1), [2], "float64", [])).toBe("tensor([1.2345e+04, 1.0000e+00])");
    expect(formatTensor(Float64Array.of(123425, 1), [2], "float64", [])).toBe("tensor([1.2342e+05, 1.0000e+00])");
    expect(formatTensor(Float64Array.of(123435, 1), [2], "float64", [])).toBe("tensor([1.2344e+05, 1.0000e+00])");
  });
});
