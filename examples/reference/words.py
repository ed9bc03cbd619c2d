"""PyTorch reference for examples/src/words.ts (the same model, the same protocol, the same words).

Run by hand with Debian's python3-torch 1.13: /usr/bin/python3 examples/reference/words.py
It trains the model for seeds 0..4 and writes examples/reference/words.json: the validation
loss before training and after every epoch (per seed, and their mean), and the time per epoch
(one thread). words.ts prints these next to its own.

Protocol (examples/README.md): the 63849 words of data/words.txt.gz, shuffled by minigrad's
Generator(0).randperm (ported below, so both libraries split and batch the same words);
every 10th word of the shuffled list is a validation word (6385), the others train (57464).
Each word is framed by '.' ('.' = 0, 'a'..'z' = 1..26): input '.' + word, target word + '.',
padded to the batch's longest word (target -1, ignored by the loss). Embedding(27, 32) ->
LSTM(32, 128, batch_first) -> Linear(128, 27), torch's default init from
torch.manual_seed(seed); cross entropy (mean over the batch's tokens), Adam(lr=1e-2), batch
64; an epoch is the next 4096 training words of passes shuffled by Generator(seed + 1)
(reshuffled when a pass runs out), 10 epochs; validation loss: the mean cross entropy per
token over all validation words (in batches of 512 words sorted by length).
"""
import gzip
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

EPOCHS, WORDS_PER_EPOCH, LR, BATCH, EMBEDDING, HIDDEN = 10, 4096, 1e-2, 64, 32, 128
SEEDS = range(5)
VOCAB = ".abcdefghijklmnopqrstuvwxyz"
PAD = -1

# ---------------------------------------------------------------- minigrad's Generator
# xoshiro128** seeded as packages/tensor/src/random.ts does, and its randperm (Fisher-Yates
# with rejection sampling): the same permutations as `new Generator(seed).randperm(n)`.
M32 = 0xFFFFFFFF
GOLDEN, GOLDEN_B = 0x9E3779B9, 0x6A09E667


def fmix32(h):
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    return h ^ (h >> 16)


def rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Generator:
    def __init__(self, seed):
        lo, hi = seed & M32, seed >> 32
        a = (lo + GOLDEN) & M32
        self.s0 = fmix32(a)
        a, b = (a + GOLDEN) & M32, (hi + GOLDEN_B) & M32
        self.s1 = fmix32(a) ^ fmix32(b)
        a, b = (a + GOLDEN) & M32, (b + GOLDEN_B) & M32
        self.s2 = fmix32(a) ^ fmix32(b)
        a, b = (a + GOLDEN) & M32, (b + GOLDEN_B) & M32
        self.s3 = fmix32(a) ^ fmix32(b)

    def next_uint32(self):
        s1 = self.s1
        result = (rotl((s1 * 5) & M32, 7) * 9) & M32
        t = (s1 << 9) & M32
        self.s2 ^= self.s0
        self.s3 ^= s1
        self.s1 = s1 ^ self.s2
        self.s0 ^= self.s3
        self.s2 ^= t
        self.s3 = rotl(self.s3, 11)
        return result

    def below(self, n):
        limit = 2**32 - (2**32 % n)
        r = self.next_uint32()
        while r >= limit:
            r = self.next_uint32()
        return r % n

    def randperm(self, n):
        perm = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.below(i + 1)
            perm[i], perm[j] = perm[j], perm[i]
        return perm


# ---------------------------------------------------------------- data and model
torch.set_num_threads(1)
here = os.path.dirname(os.path.abspath(__file__))
with gzip.open(os.path.join(here, "..", "data", "words.txt.gz"), "rt") as f:
    words = [w for w in f.read().split("\n") if w]
order = Generator(0).randperm(len(words))
validation = [words[i] for k, i in enumerate(order) if k % 10 == 0]
train = [words[i] for k, i in enumerate(order) if k % 10 != 0]


def encode(batch):
    t = max(len(w) for w in batch) + 1
    x = torch.zeros(len(batch), t, dtype=torch.long)
    y = torch.full((len(batch), t), PAD, dtype=torch.long)
    for b, w in enumerate(batch):
        ids = [VOCAB.index(c) for c in w]
        x[b, 1:len(w) + 1] = torch.tensor(ids)
        y[b, :len(w) + 1] = torch.tensor(ids + [0])
    return x, y


class CharLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(len(VOCAB), EMBEDDING)
        self.lstm = nn.LSTM(EMBEDDING, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, len(VOCAB))

    def forward(self, x):
        return self.head(self.lstm(self.embedding(x))[0])


def loss_of(model, x, y, reduction):
    return F.cross_entropy(model(x).reshape(-1, len(VOCAB)), y.reshape(-1), ignore_index=PAD, reduction=reduction)


val_sorted = sorted(validation, key=len)
val_batches = [encode(val_sorted[i:i + 512]) for i in range(0, len(val_sorted), 512)]
val_tokens = sum(int((y != PAD).sum()) for _, y in val_batches)


def evaluate(model):
    with torch.no_grad():
        return sum(loss_of(model, x, y, "sum").item() for x, y in val_batches) / val_tokens


def run(seed):
    torch.manual_seed(seed)
    model = CharLSTM()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    shuffler = Generator(seed + 1)
    stream = {"order": shuffler.randperm(len(train)), "next": 0}

    def next_words(count):
        out = []
        while len(out) < count:
            if stream["next"] == len(train):
                stream["order"], stream["next"] = shuffler.randperm(len(train)), 0
            out.append(train[stream["order"][stream["next"]]])
            stream["next"] += 1
        return out

    losses = [evaluate(model)]
    seconds = 0.0
    for _ in range(EPOCHS):
        seen = 0
        while seen < WORDS_PER_EPOCH:
            batch = next_words(min(BATCH, WORDS_PER_EPOCH - seen))
            seen += len(batch)
            t0 = time.perf_counter()  # batching included, as in words.ts; drawing the words is not
            x, y = encode(batch)
            opt.zero_grad()
            loss = loss_of(model, x, y, "mean")
            loss.backward()
            opt.step()
            seconds += time.perf_counter() - t0
        losses.append(evaluate(model))
        print(f"seed {seed} epoch {len(losses) - 1}: validation loss {losses[-1]:.4f}", file=sys.stderr)
    return losses, seconds / EPOCHS * 1000


runs = [run(seed) for seed in SEEDS]
mean = [sum(r[0][e] for r in runs) / len(runs) for e in range(EPOCHS + 1)]
ms = sum(r[1] for r in runs) / len(runs)
result = {
    "torch": torch.__version__,
    "threads": 1,
    "protocol": {"epochs": EPOCHS, "wordsPerEpoch": WORDS_PER_EPOCH, "lr": LR, "batchSize": BATCH,
                 "embeddingDim": EMBEDDING, "hiddenSize": HIDDEN},
    "seeds": list(SEEDS),
    "validationLoss": {"mean": [round(v, 4) for v in mean],
                       "min": [round(min(r[0][e] for r in runs), 4) for e in range(EPOCHS + 1)],
                       "max": [round(max(r[0][e] for r in runs), 4) for e in range(EPOCHS + 1)],
                       "perSeed": [[round(v, 4) for v in r[0]] for r in runs]},
    "msPerEpoch": round(ms, 1),
}
with open(os.path.join(here, "words.json"), "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")
print(f"torch {torch.__version__}, one thread: {ms:.0f} ms per epoch of {WORDS_PER_EPOCH} words; "
      f"validation loss by epoch (mean over seeds {SEEDS.start}..{SEEDS.stop - 1}): "
      + " ".join(f"{v:.4f}" for v in mean))
