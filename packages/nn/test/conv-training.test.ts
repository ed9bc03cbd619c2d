import { describe, expect, it } from "vitest";
import { Generator, Tensor, randn, tensor, tidy } from "@minigrad/tensor";
import { AdaptiveAvgPool2d, Conv2d, Linear, MaxPool2d, Module, functional as F } from "@minigrad/nn";
import { RMSprop } from "@minigrad/optim";

/**
 * End to end: a small CNN (conv -> relu -> max pool -> conv -> relu -> adaptive average pool ->
 * linear) learns where a bright 3x3 patch sits in a noisy 12x12 image (one of four quadrants).
 */
class Net extends Module {
  conv1 = new Conv2d(1, 8, 3, { padding: 1, generator: new Generator(1) });
  pool = new MaxPool2d(2);
  conv2 = new Conv2d(8, 8, 3, { padding: "same", generator: new Generator(2) });
  gap = new AdaptiveAvgPool2d([2, 2]);
  fc = new Linear(32, 4, { generator: new Generator(3) });

  forward(x: Tensor): Tensor {
    const a = this.pool.forward(F.relu(this.conv1.forward(x)));
    return this.fc.forward(this.gap.forward(F.relu(this.conv2.forward(a))).flatten(1));
  }
}

function batch(n: number, generator: Generator): { x: Tensor; y: Tensor } {
  const x = randn([n, 1, 12, 12], { generator }).mul(0.3);
  const data = x.toTypedArray();
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const q = i % 4;
    labels[i] = q;
    const top = (q >> 1) * 6 + 1, left = (q & 1) * 6 + 1;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) data[i * 144 + (top + r) * 12 + left + c] += 2;
  }
  return { x: tensor(data, { shape: [n, 1, 12, 12] }), y: tensor(labels, { dtype: "int32" }) };
}

describe("a CNN trains", () => {
  it("learns the quadrant of a bright patch (loss falls, test accuracy >= 0.95)", () => {
    const model = new Net();
    const optimizer = new RMSprop(model.parameters(), { lr: 0.01 });
    const gen = new Generator(7);
    const losses: number[] = [];
    for (let step = 0; step < 60; step++) {
      const { x, y } = batch(32, gen);
      losses.push(tidy(() => {
        optimizer.zeroGrad();
        const loss = F.crossEntropy(model.forward(x), y);
        loss.backward();
        optimizer.step();
        return loss.item();
      }));
    }
    expect(losses.slice(-5).reduce((a, b) => a + b) / 5).toBeLessThan(losses[0] / 4);
    const test = batch(64, new Generator(99));
    const predicted = model.forward(test.x).argmax(1).toTypedArray();
    const labels = test.y.toTypedArray();
    const accuracy = predicted.filter((p, i) => p === labels[i]).length / labels.length;
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
  });
});
