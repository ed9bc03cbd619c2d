"""PyTorch reference for examples/src/digits-cnn.ts (the same protocol, the same model).

Run by hand with Debian's python3-torch 1.13: /usr/bin/python3 examples/reference/digits_cnn.py
It prints the figures that digits-cnn.ts shows next to its own: ms per epoch (one thread),
test accuracy and the last batch's loss, averaged over seeds 0..4 (and seed 0 alone).

Protocol (examples/data/README.md): split by index (row i is a test row when i % 5 == 0),
pixels / 16, images 1x8x8; Conv2d(1, 16, 3, padding=1) -> ReLU -> MaxPool2d(2) ->
Conv2d(16, 32, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(128, 10); cross
entropy, RMSprop(lr=2e-3) annealed to 0 by CosineAnnealingLR(T_max=30) stepped per epoch,
batch 32, 30 epochs, training rows shuffled every epoch.
"""
import gzip
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
here = os.path.dirname(os.path.abspath(__file__))
with gzip.open(os.path.join(here, "..", "data", "digits.csv.gz"), "rt") as f:
    rows = np.array([[float(v) for v in line.split(",")] for line in f if line.strip()])
x_all = torch.tensor(rows[:, :64] / 16, dtype=torch.float32).reshape(-1, 1, 8, 8)
y_all = torch.tensor(rows[:, 64], dtype=torch.int64)
test_mask = torch.arange(len(rows)) % 5 == 0
x_train, y_train = x_all[~test_mask], y_all[~test_mask]
x_test, y_test = x_all[test_mask], y_all[test_mask]


def run(seed, epochs=30, batch=32):
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10),
    )
    opt = torch.optim.RMSprop(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    gen = torch.Generator().manual_seed(seed + 1)
    n = len(y_train)
    total = 0.0
    last = float("nan")
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(n, generator=gen)
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            last = loss.item()
        sched.step()
        total += time.perf_counter() - t0
    with torch.no_grad():
        acc = (model(x_test).argmax(1) == y_test).float().mean().item()
    return total / epochs * 1000, acc, last


results = [run(seed) for seed in range(5)]
ms, acc, last = (float(np.mean([r[i] for r in results])) for i in range(3))
print(f"torch {torch.__version__}, one thread; seed 0: {results[0][0]:.1f} ms/epoch, test accuracy "
      f"{results[0][1]:.3f}, last batch loss {results[0][2]:.3f}")
print(f"mean over seeds 0..4: {ms:.1f} ms/epoch, test accuracy {acc:.3f} "
      f"(min {min(r[1] for r in results):.3f}), last batch loss {last:.3f}")
