import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadWords } from "../src/lib/data";
import { Generator, manualSeed } from "@minigrad/tensor";
import { CharLSTM, PAD, encodeBatch, sampleWords, splitWords } from "../src/lib/train-words";
import { checkPng } from "./helpers/png";

describe("words: data and batches", () => {
  it("splits the 63849 words once: 6385 validation words (every 10th of a seeded shuffle), 57464 training words, no overlap", () => {
    const words = loadWords();
    expect(words).toHaveLength(63849);
    expect(words.every((w) => /^[a-z]{2,}$/.test(w))).toBe(true);
    const { train, validation } = splitWords(words);
    expect(validation).toHaveLength(6385);
    expect(train).toHaveLength(57464);
    const seen = new Set(train);
    expect(validation.some((w) => seen.has(w))).toBe(false);
    expect(splitWords(words)).toEqual({ train, validation }); // fixed: the same words every run
    // examples/reference/words.py ports the generator: these are the words it splits off first
    expect(validation.slice(0, 3)).toEqual(["naughtiest", "metaphysical", "cornices"]);
  });

  it("frames each word with '.' and pads to the longest: targets are the letters, then '.', then PAD", () => {
    const batch = encodeBatch(["ab", "c"]);
    expect(batch.input.shape).toEqual([2, 3]);
    expect(batch.input.toArray()).toEqual([[0, 1, 2], [0, 3, 0]]);
    expect(batch.target.toArray()).toEqual([[1, 2, 0], [3, 0, PAD]]);
    expect(batch.tokens).toBe(5);
    expect(() => encodeBatch(["ok", "no!"])).toThrow(/outside a-z/);
  });
});

describe("words: sampling", () => {
  it("draws lowercase words of 1 to 24 letters, the same ones for the same generator seed, even from an untrained model", () => {
    manualSeed(0);
    const model = new CharLSTM(8, 16); // untrained: '.' comes first in about 1 word of 27, and starts the word over
    const words = sampleWords(model, 100, new Generator(1));
    expect(words).toHaveLength(100);
    for (const word of words) expect(word).toMatch(/^[a-z]{1,24}$/);
    expect(sampleWords(model, 100, new Generator(1))).toEqual(words);
  });
});

describe("words example on a tiny budget", () => {
  const tsx = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
  const examples = fileURLToPath(new URL("..", import.meta.url));
  const run = (...args: string[]) =>
    spawnSync(tsx, ["src/words.ts", ...args], { cwd: examples, encoding: "utf8", env: { ...process.env, INIT_CWD: "" } });

  it("documents --words and --samples in --help, and exits 2 on a bad count", () => {
    const help = run("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--words {7}training words per epoch .* \(default 4096\)/);
    expect(help.stdout).toContain("--samples");
    const bad = run("--words", "many");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('words: --words expects an integer, got "many"');
    expect(run("--samples", "0").stderr).toContain("words: --samples must be positive, got 0");
  });

  it("prints falling validation losses, lowercase samples, and writes a valid PNG", () => {
    const out = mkdtempSync(join(tmpdir(), "minigrad-words-"));
    const result = run("--epochs", "2", "--words", "512", "--samples", "10", "--out", out);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const stdout = result.stdout;
    expect(stdout).toContain("57464 training and 6385 validation words; 512 words per epoch, 8 steps of 64");
    expect(stdout).toContain("not the reference protocol"); // 512 words per epoch: no PyTorch figures beside
    const before = Number(/before training (\d\.\d+)/.exec(stdout)?.[1]);
    const losses = [...stdout.matchAll(/^ {2}validation loss (\d\.\d+)/gm)].map((m) => Number(m[1]));
    expect(before).toBeCloseTo(Math.log(27), 1);
    expect(losses).toHaveLength(2);
    expect(losses[0]).toBeLessThan(before - 0.3);
    expect(losses[1]).toBeLessThan(losses[0]);
    const lines = stdout.split("\n");
    const header = lines.findIndex((l) => /^10 new words \(seed 0;/.test(l));
    expect(header).toBeGreaterThan(0);
    const samples = lines.slice(header + 1, header + 3).join(" ").trim().split(/\s+/).map((w) => w.replace(/\*$/, ""));
    expect(samples).toHaveLength(10);
    for (const word of samples) expect(word).toMatch(/^[a-z]+$/);
    expect(new Set(samples).size).toBeGreaterThan(5);
    const [width, height] = checkPng(join(out, "words-loss.png"));
    expect(width).toBeGreaterThan(500);
    expect(height).toBeGreaterThan(300);
    expect(readFileSync(join(out, "words-loss.svg"), "utf8")).toContain("minigrad validation");
  });
});
