import { SLOT, STATE } from "./control";

/**
 * The worker thread's whole program (threads.ts starts it), evaluated as a CommonJS script so
 * there is no file to locate next to a bundle. It owns no JS state but its wasm instances and
 * the number of the last job it took part in.
 *
 * For each new job it says it is INSIDE, checks that GEN still names that job (else this
 * thread may be rewriting the slots: it steps out and looks again), makes sure it has the
 * job's kernel, then claims chunks until none is left, marking each one DONE. Every fused
 * kernel is called the same way, `f(pointers..., units, scalars)`; gemm (matmul.wat) as
 * `gemm(units, n, k, a, b, c)` on the product's own memory.
 *
 * Kernels arrive as messages `{ id, module, name }` on a port, read synchronously (the loop
 * never returns to the event loop). The worker's `exit` event, however it ends, sets ALIVE to 0
 * and wakes this thread, which then finishes the chunks left undone (threads.ts).
 */
export const WORKER_SOURCE = `"use strict";
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const ctl = new Int32Array(workerData.control);
const done = new Int32Array(workerData.done);
const port = workerData.port;
const dieAt = workerData.dieAtChunk; // tests: exit on claiming a chunk from this one on, of a fused job (-1: never)
process.on("exit", () => {
  Atomics.store(ctl, ${SLOT.ALIVE}, 0);
  Atomics.notify(ctl, ${SLOT.FINISHED});
});
const kernels = []; // fused kernels by id
const instances = new Map(); // WebAssembly.Module -> exports, on the arena
let gemm;
try {
  if (workerData.failAtStart) throw new Error("told to fail (tests)");
  gemm = new WebAssembly.Instance(workerData.matmul, { env: { memory: workerData.matmulMemory } }).exports.gemm;
  Atomics.store(ctl, ${SLOT.READY}, ${STATE.READY});
} catch {
  Atomics.store(ctl, ${SLOT.READY}, ${STATE.FAILED});
}
Atomics.notify(ctl, ${SLOT.READY});
// A fused kernel by id: read the messages sent so far until it is there.
function kernel(id) {
  for (let m = kernels[id] === undefined ? receiveMessageOnPort(port) : undefined; m !== undefined; m = kernels[id] === undefined ? receiveMessageOnPort(port) : undefined) {
    const { module, name } = m.message;
    let exports = instances.get(module);
    if (exports === undefined) {
      exports = new WebAssembly.Instance(module, { env: { memory: workerData.arena } }).exports;
      instances.set(module, exports);
    }
    kernels[m.message.id] = exports[name];
  }
  return kernels[id];
}
const args = [];
let seen = 0, spinUntil = 0, polls = 0;
while (gemm !== undefined) {
  const gen = Atomics.load(ctl, ${SLOT.GEN});
  if (gen === ${STATE.STOPPED}) break;
  if (gen === seen || gen === ${STATE.CLOSED}) {
    // the clock is read once per 1024 polls: it can cost a microsecond or more in a VM
    if ((++polls & 1023) === 0 && performance.now() >= spinUntil) Atomics.wait(ctl, ${SLOT.GEN}, gen);
    continue;
  }
  Atomics.store(ctl, ${SLOT.INSIDE}, 1);
  if (Atomics.load(ctl, ${SLOT.GEN}) === gen) {
    seen = gen;
    const fused = ctl[${SLOT.KIND}] === 1;
    const f = fused ? kernel(ctl[${SLOT.KERNEL}]) : gemm;
    const total = ctl[${SLOT.TOTAL}], per = ctl[${SLOT.PER}], chunks = ctl[${SLOT.CHUNKS}];
    const count = ctl[${SLOT.POINTERS}], scalars = ctl[${SLOT.SCALARS}], n = ctl[${SLOT.N}], k = ctl[${SLOT.K}];
    // a kernel this thread does not have is left to the other thread: claim nothing
    for (let i = f === undefined ? chunks : Atomics.add(ctl, ${SLOT.NEXT}, 1); i < chunks; i = Atomics.add(ctl, ${SLOT.NEXT}, 1)) {
      if (fused && dieAt >= 0 && i >= dieAt) process.exit(0);
      const units = Math.min(per, total - i * per);
      try {
        if (fused) {
          args.length = count + 2;
          for (let j = 0; j < count; j++) args[j] = ctl[${SLOT.ARGS} + 2 * j] + i * ctl[${SLOT.ARGS} + 2 * j + 1];
          args[count] = units;
          args[count + 1] = scalars;
          f(...args);
        } else {
          f(units, n, k, ctl[${SLOT.ARGS}] + i * ctl[${SLOT.ARGS + 1}], ctl[${SLOT.ARGS + 2}] + i * ctl[${SLOT.ARGS + 3}],
            ctl[${SLOT.ARGS + 4}] + i * ctl[${SLOT.ARGS + 5}]);
        }
      } catch {
        Atomics.store(ctl, ${SLOT.FAILED}, 1);
      }
      Atomics.store(done, i, 1);
      if (Atomics.add(ctl, ${SLOT.FINISHED}, 1) + 1 === chunks) Atomics.notify(ctl, ${SLOT.FINISHED});
    }
    spinUntil = performance.now() + ${STATE.SPIN_MS};
  }
  Atomics.store(ctl, ${SLOT.INSIDE}, 0);
}
`;
