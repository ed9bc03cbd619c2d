import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { AutogradError, Tensor, TensorError, full, keep, memoryStats, ones, randn, setArenaLimit, tensor, tidy, zeros } from "../src";
import { arena } from "../src/kernels/wasm/arena";

/** Large enough for the arena at any time (>= 1 MiB of storage); MID only inside tidy (>= 16 KiB). */
const BIG = [512, 512];
const BIG_BYTES = 512 * 512 * 4;
const MID = [64, 128];

const inUse = () => memoryStats().inUseBytes;
const inArena = (t: Tensor) => arena()?.holds(t.storage) ?? false;

afterEach(() => setArenaLimit(256 * 2 ** 20));

describe("the arena", () => {
  it("exists in Node and holds large float tensors, not small ones", () => {
    expect(memoryStats().arena).toBe(true);
    expect(inArena(zeros(BIG))).toBe(true);
    expect(inArena(zeros(BIG, { dtype: "float64" }))).toBe(true);
    expect(inArena(zeros([10, 10]))).toBe(false);
    expect(inArena(zeros(MID))).toBe(false);
    expect(tidy(() => inArena(zeros(MID)))).toBe(true);
    expect(inArena(zeros(BIG, { dtype: "int32" }))).toBe(false);
  });

  it("dispose returns the block, and the next tensor of that size reuses it, zero-filled", () => {
    const a = ones(BIG);
    const before = inUse();
    const at = a._data.byteOffset;
    a.dispose();
    expect(inUse()).toBe(before - BIG_BYTES);
    const b = zeros(BIG);
    expect(b._data.byteOffset).toBe(at);
    expect(b.sum().item()).toBe(0);
    b.dispose();
  });

  it("a disposed tensor throws on use; dispose is idempotent", () => {
    const a = ones([3]);
    a.dispose();
    a.dispose();
    expect(a.isDisposed).toBe(true);
    expect(() => a.add(1)).toThrow(TensorError);
    expect(() => a.add(1)).toThrow(/disposed/);
  });

  it("storage shared by views is freed when its last tensor is disposed", () => {
    const a = ones(BIG);
    const v = a.transpose(0, 1);
    const before = inUse();
    a.dispose();
    expect(inUse()).toBe(before); // the view still uses it
    expect(v.sum().item()).toBe(512 * 512);
    v.dispose();
    expect(inUse()).toBe(before - BIG_BYTES);
  });

  it("past its limit, new tensors get ordinary typed arrays and compute the same", () => {
    const a = randn(BIG), b = randn(BIG);
    const expected = a.add(b).toArray();
    setArenaLimit(0); // no growth past what is handed out
    const stuck: Tensor[] = [];
    for (let i = 0; i < 4 && stuck.every(inArena); i++) stuck.push(zeros([1024, 1024]));
    const plainA = tensor(a.storage.slice(), { shape: BIG }), plainB = tensor(b.storage.slice(), { shape: BIG });
    expect(inArena(stuck[stuck.length - 1])).toBe(false);
    expect(plainA.add(plainB).toArray()).toEqual(expected);
    for (const t of stuck) t.dispose();
  });

  it("setArenaLimit rejects a negative or NaN byte count", () => {
    expect(() => setArenaLimit(-1)).toThrow(/setArenaLimit/);
    expect(() => setArenaLimit(Number.NaN)).toThrow(/setArenaLimit/);
  });
});

describe("tidy", () => {
  it("disposes what the function made, except what it returns", () => {
    const x = ones(BIG);
    let inner: Tensor | undefined;
    const before = inUse();
    const y = tidy(() => {
      inner = x.mul(2);
      return inner.add(1);
    });
    expect(inner?.isDisposed).toBe(true);
    expect(y.isDisposed).toBe(false);
    expect(x.isDisposed).toBe(false); // made outside
    expect(inUse()).toBe(before + BIG_BYTES); // only y remains
    expect(y.mean().item()).toBe(3);
    // mid-sized tensors made inside tidy come from the arena and go back at its end
    const mid = inUse();
    tidy(() => {
      ones(MID).mul(2).exp();
    });
    expect(inUse()).toBe(mid);
  });

  it("keeps tensors inside returned arrays and objects, and those marked by keep", () => {
    let kept: Tensor | undefined, dropped: Tensor | undefined;
    const out = tidy(() => {
      kept = keep(ones([2]));
      dropped = ones([2]);
      return { list: [ones([1])], nested: { t: zeros([1]) } };
    });
    expect(out.list[0].isDisposed).toBe(false);
    expect(out.nested.t.isDisposed).toBe(false);
    expect(kept?.isDisposed).toBe(false);
    expect(dropped?.isDisposed).toBe(true);
  });

  it("nested scopes hand returned tensors to the enclosing scope", () => {
    let fromInner: Tensor | undefined;
    tidy(() => {
      fromInner = tidy(() => ones([2]));
      expect(fromInner.isDisposed).toBe(false);
    });
    expect(fromInner?.isDisposed).toBe(true);
  });

  it("disposes on throw, and refuses async functions", () => {
    let t: Tensor | undefined;
    expect(() => tidy(() => {
      t = ones([2]);
      throw new Error("boom");
    })).toThrow("boom");
    expect(t?.isDisposed).toBe(true);
    expect(() => tidy(async () => ones([1]))).toThrow(/Promise/);
  });

  it("a training step inside tidy keeps the leaf's .grad and frees the rest", () => {
    const w = randn([512, 64]).requiresGrad_();
    const x = randn(BIG);
    const before = inUse();
    for (let step = 0; step < 3; step++) {
      w.grad = null;
      tidy(() => x.matmul(w).relu().sum().backward());
    }
    expect(w.grad).not.toBeNull();
    expect(w.grad?.isDisposed).toBe(false);
    // only w.grad (128 x 64) was added; the old grads are left to the GC, not disposed
    expect(inUse() - before).toBeLessThanOrEqual(3 * 512 * 64 * 4);
  });

  it("a .grad assigned inside tidy is kept", () => {
    const p = randn([3]).requiresGrad_();
    tidy(() => {
      p.grad = ones([3]);
    });
    expect(p.grad?.isDisposed).toBe(false);
    expect(p.grad?.sum().item()).toBe(3);
  });

  it("backward through a disposed saved tensor is a clear error", () => {
    const w = randn([4]).requiresGrad_();
    const y = tidy(() => w.mul(w)).sum(); // MulBackward saved w (kept: made outside)...
    y.backward();
    const z = tidy(() => w.exp()).mul(2).sum(); // ...ExpBackward saved exp's output, which tidy returned
    z.backward();
    const h = tidy(() => {
      const e = w.exp(); // saved by MulBackward below, and disposed with the scope
      return e.mul(e);
    }).sum();
    expect(() => h.backward()).toThrow(AutogradError);
    expect(() => w.exp().mul(1).sum().backward()).not.toThrow();
  });
});

describe("backward's own scope", () => {
  it("mid-sized gradients come from the arena and go back at the end of the pass; .grad stays", () => {
    const w = randn([128, 64]).requiresGrad_(); // 32 KB: outside tidy, an ordinary typed array
    const x = randn([32, 128]);
    const step = () => {
      w.grad?.zero_();
      x.matmul(w).relu().sum().backward();
    };
    step();
    const grad = w.grad;
    expect(grad !== null && arena()?.holds(grad.storage)).toBe(true); // made during the pass
    const after = inUse();
    for (let i = 0; i < 5; i++) step();
    expect(inUse()).toBe(after); // every temporary of the passes went back
    expect(w.grad).toBe(grad); // accumulated in place
    expect(grad?.isDisposed).toBe(false);
  });
});

/** A full GC, then a turn of the event loop: finalizers (the arena's returns) run between tasks. */
async function collector(): Promise<() => Promise<void>> {
  const { setFlagsFromString } = await import("node:v8");
  const { runInNewContext } = await import("node:vm");
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  return async () => {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
}

describe("the garbage collector returns arena blocks", () => {
  it("a dropped tensor's block comes back after a GC and a turn of the event loop", async () => {
    const collect = await collector();
    await collect(); // what earlier tests dropped
    const before = inUse();
    (() => {
      zeros(BIG); // dropped at once
    })();
    expect(inUse()).toBe(before + BIG_BYTES);
    for (let i = 0; i < 10 && inUse() > before; i++) await collect();
    // <=: blocks that earlier tests dropped may come back in the same collections
    expect(inUse()).toBeLessThanOrEqual(before);
  });

  it("so do blocks made inside tidy or a backward pass that outlived it (kept, returned, a .grad)", async () => {
    const collect = await collector();
    await collect();
    const before = inUse();
    (() => {
      // registration with the GC waits for the scope's end: these three must get it then
      const kept = tidy(() => { const k = keep(zeros(MID)); zeros(MID); return k; });
      const returned = tidy(() => tidy(() => randn(MID))); // returned through a nested scope
      const w = randn([128, 64]).requiresGrad_();
      randn([32, 128]).matmul(w).sum().backward(); // its .grad (32 KB) is made in the pass's scope
      expect([kept, returned, w.grad!].every((t) => arena()?.holds(t.storage))).toBe(true);
      expect(inUse()).toBeGreaterThanOrEqual(before + 2 * 32768 + 32768);
    })();
    for (let i = 0; i < 10 && inUse() > before; i++) await collect();
    expect(inUse()).toBeLessThanOrEqual(before);
  });
});

describe("property: disposing never corrupts a live tensor", () => {
  /** A step of a random program over a pool of tensors. */
  type Step =
    | { kind: "make"; big: boolean; inTidy: boolean; fill: number }
    | { kind: "view"; pick: number }
    | { kind: "dispose"; pick: number }
    | { kind: "op"; pick: number };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant("make" as const), big: fc.boolean(), inTidy: fc.boolean(), fill: fc.integer({ min: 1, max: 1000 }) }),
    fc.record({ kind: fc.constant("view" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("dispose" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("op" as const), pick: fc.nat() }),
  );

  it("every tensor not disposed keeps its values, whatever else is made, viewed and disposed", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (program) => {
        // each live tensor with the value all of its elements should hold
        const live: { t: Tensor; value: number }[] = [];
        const made: Tensor[] = [];
        for (const s of program) {
          if (s.kind === "make") {
            const shape = s.big ? BIG : MID;
            const make = () => full(shape, s.fill);
            const t = s.inTidy ? tidy(make) : make();
            live.push({ t, value: s.fill });
            made.push(t);
          } else if (live.length > 0) {
            const i = s.pick % live.length;
            const { t, value } = live[i];
            if (s.kind === "view") live.push({ t: t.numel > 1 ? t.reshape([-1]).narrow(0, 1, t.numel - 1) : t.reshape([-1]), value });
            else if (s.kind === "op") live.push({ t: tidy(() => t.mul(2).add(1)), value: 2 * value + 1 });
            else {
              t.dispose();
              live.splice(i, 1);
            }
          }
          for (const { t, value } of live) {
            const data = t.contiguous().toTypedArray();
            if (data[0] !== value || data[data.length - 1] !== value) return false;
          }
        }
        for (const t of made) t.dispose();
        for (const { t } of live) t.dispose();
        return true;
      }),
      { numRuns: 60 },
    );
  });
});
