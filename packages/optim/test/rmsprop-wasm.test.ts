import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Tensor, keep, memoryStats, setMatmulThreads, tidy } from "@minigrad/tensor";
import { RMSprop, type RMSpropOptions } from "@minigrad/optim";

/**
 * The WebAssembly SIMD RMSprop update (optim's src/kernels/rmsprop.wat, taken when param, grad and
 * state live in the arena) against PyTorch 1.13 by bits, on 300,007 float32 parameters whose
 * square_avg crosses the subnormal range: fixtures/rmsprop-large.json (gen_rmsprop_large.py).
 * The same steps on plain storage (the same kernel through copies in and out of its own
 * memory) must give the same bits; the JS update (rows under 128) is rmsprop-bitexact's.
 */

interface Large {
  N: number;
  T: number;
  results: { options: RMSpropOptions; param_sha256: string; square_avg_sha256: string; square_avg_subnormals: number }[];
}
const large = JSON.parse(readFileSync(new URL("./fixtures/rmsprop-large.json", import.meta.url), "utf8")) as Large;
const { N, T } = large;

function p0(): Float32Array {
  return Float32Array.from({ length: N }, (_, i) => (((i * 7919) % 20011) - 10005) / 10005);
}
function grad(t: number): Float32Array {
  return Float32Array.from({ length: N }, (_, i) => (((((i * 104729 + t * 7907) % 20011) - 10005) / 10005) * 2 ** (-5 * (i % 16))));
}
const sha = (t: Tensor) => createHash("sha256").update(new Uint8Array((t.storage as Float32Array).slice(t.offset, t.offset + t.numel).buffer)).digest("hex");

/** `inArena`: storage from the allocator (the arena, 1.2 MB: always); else plain typed arrays. */
function run(options: RMSpropOptions, inArena: boolean): { p: Tensor; v: Tensor } {
  const make = (data: Float32Array) => {
    if (!inArena) return new Tensor(data, [N]);
    return keep(tidy(() => {
      const t = Tensor.empty([N], "float32");
      (t.storage as Float32Array).set(data);
      return t;
    }));
  };
  const p = make(p0()).requiresGrad_();
  const opt = new RMSprop([p], options);
  for (let t = 0; t < T; t++) {
    p.grad = make(grad(t));
    if (inArena) tidy(() => opt.step()); // squareAvg, made in the first step, in the arena too
    else opt.step();
  }
  const v = opt.state.get(p)?.squareAvg;
  if (!(v instanceof Tensor)) throw new Error("no squareAvg");
  return { p, v };
}

describe("fixtures/rmsprop-large.json: float32 RMSprop on 300,007 params, by bits", () => {
  expect(memoryStats().arena).toBe(true);
  for (const r of large.results) {
    it(`${JSON.stringify(r.options)}: wasm SIMD in place (arena; two threads, one) and through copies (plain storage) all equal torch`, () => {
      expect(r.square_avg_subnormals).toBeGreaterThan(0); // the fix-up path is exercised
      const before = memoryStats().inUseBytes;
      const simd = run(r.options, true);
      // param, its last grad and squareAvg are (at least) in the arena: the wasm path ran
      expect(memoryStats().inUseBytes - before).toBeGreaterThanOrEqual(3 * N * 4);
      expect(sha(simd.p)).toBe(r.param_sha256);
      expect(sha(simd.v)).toBe(r.square_avg_sha256);
      const js = run(r.options, false);
      expect(sha(js.p)).toBe(r.param_sha256);
      expect(sha(js.v)).toBe(r.square_avg_sha256);
      // in place on one thread (the runs above split the update with the worker thread)
      setMatmulThreads(1);
      try {
        const one = run(r.options, true);
        expect(sha(one.p)).toBe(r.param_sha256);
        expect(sha(one.v)).toBe(r.square_avg_sha256);
      } finally {
        setMatmulThreads(null);
      }
    });
  }
});
