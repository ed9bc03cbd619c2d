import { randint, randn } from "@minigrad/tensor";
import { Dropout, Linear, ReLU, Sequential, functional as F } from "@minigrad/nn";
import { Adam, lrScheduler } from "@minigrad/optim";

/** A small training run whose every step draws from the default generator (batches, dropout). */
export function makeRun() {
  const model = new Sequential(new Linear(8, 32), new ReLU(), new Dropout(0.3), new Linear(32, 3));
  const optimizer = new Adam(model.parameters(), { lr: 0.01, weightDecay: 1e-3 });
  const scheduler = new lrScheduler.StepLR(optimizer, { stepSize: 3, gamma: 0.5 });
  return { model, optimizer, scheduler };
}

export type Run = ReturnType<typeof makeRun>;

/** `n` steps on random batches (drawn from the default generator), the scheduler stepped after each. */
export function trainSteps({ model, optimizer, scheduler }: Run, n: number): void {
  model.train();
  for (let i = 0; i < n; i++) {
    const x = randn([16, 8]);
    const y = randint(0, 3, [16]);
    optimizer.zeroGrad();
    F.crossEntropy(model.forward(x), y).backward();
    optimizer.step();
    scheduler.step();
  }
}

/** kill-loop's model: big enough (about 1.3 MB with Adam's state) that a kill often lands inside a write. */
export function killLoopModel() {
  const model = new Sequential(new Linear(64, 256), new ReLU(), new Linear(256, 256));
  return { model, optimizer: new Adam(model.parameters(), { lr: 1e-3 }) };
}
