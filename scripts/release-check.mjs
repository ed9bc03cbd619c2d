#!/usr/bin/env node
// Release check: what a user of the published packages gets, tried before anything is published.
//
//   npx pnpm@10 build && npx pnpm@10 release:check      (CI runs it after the build)
//
// 1. Packs every package under packages/ with pnpm (the publishing tool, which rewrites
//    `workspace:^` into a caret range) and checks each tarball: its files (dist, README.md,
//    the root LICENSE byte for byte, package.json, nothing else), no `workspace:` left, internal
//    dependencies as `^<version>`, `engines.node`, `license`.
// 2. Lints each tarball with publint (suggestions count as failures) and with
//    @arethetypeswrong/cli (strict profile, without fetching @types from the registry).
// 3. Installs the tarballs with npm into a scratch project in a temp dir (ndarray comes from the
//    registry; @minigrad/* must come from the tarballs), imports them as ESM and as CJS and
//    trains a few steps in each, round-trips a safetensors file through `@minigrad/nn/node`
//    (ESM and CJS: its errors must be the main entry's SafetensorsError), and type-checks a consumer with `tsc --strict` (lib checking
//    on, TypeScript's default lib) under nodenext (an .mts and a .cts file, so both `types`
//    conditions) and bundler module resolution. It also type-checks with `lib: ["es2022"]` only
//    (a Node consumer without DOM types) and reports that as a warning, not a failure.
//
// Exits non-zero if anything failed, after printing what failed. `--keep` keeps the temp dir.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { publint } from "publint";
import { formatMessage } from "publint/utils";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const keep = process.argv.includes("--keep");
const started = performance.now();
const failures = [];
const warnings = [];
const elapsed = (t0) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

function fail(what, detail = "") {
  failures.push(what);
  console.log(`FAIL ${what}`);
  if (detail) console.log(detail.replace(/^/gm, "     "));
}
function ok(what) {
  console.log(`ok   ${what}`);
}
function check(cond, what, detail) {
  if (cond) ok(what);
  else fail(what, typeof detail === "function" ? detail() : detail);
  return cond;
}

/** Runs a command; returns {status, out}. Never throws (a missing binary is a failed status). */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000, maxBuffer: 64 << 20, ...opts });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? `\n${r.error.message}` : ""}`.trim();
  return { status: r.error ? -1 : r.status, out };
}

/** The environment without npm_* / pnpm's config variables, so npm in the scratch project sees its defaults. */
function cleanEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(npm|pnpm)_/i.test(k)) delete env[k];
  return env;
}

// pnpm: the one running this script (npx pnpm@10 release:check), else fetch it with npx.
const pnpmExec = process.env.npm_execpath && /pnpm/.test(process.env.npm_execpath)
  ? [process.execPath, [process.env.npm_execpath]]
  : ["npx", ["--yes", "pnpm@10"]];
const pnpm = (args, opts) => run(pnpmExec[0], [...pnpmExec[1], ...args], opts);
const bin = (name) => join(root, "node_modules", ".bin", name);

const packageDirs = readdirSync(join(root, "packages"))
  .map((d) => join(root, "packages", d))
  .filter((d) => existsSync(join(d, "package.json")))
  .filter((d) => !JSON.parse(readFileSync(join(d, "package.json"), "utf8")).private);
const manifests = new Map(packageDirs.map((d) => [d, JSON.parse(readFileSync(join(d, "package.json"), "utf8"))]));
const versions = new Map([...manifests.values()].map((m) => [m.name, m.version]));
const license = readFileSync(join(root, "LICENSE"), "utf8");

const scratch = mkdtempSync(join(tmpdir(), "minigrad-release-check-"));
const packDir = join(scratch, "tarballs");
const project = join(scratch, "consumer");

function newestMtime(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

try {
  // ---- 1. pack and inspect ------------------------------------------------------------------
  let t0 = performance.now();
  const tarballs = new Map(); // package name -> tarball path
  for (const dir of packageDirs) {
    const m = manifests.get(dir);
    const rel = relative(root, dir);
    const built = ["index.js", "index.cjs", "index.d.ts", "index.d.cts"].every((f) => existsSync(join(dir, "dist", f)));
    if (!check(built, `${m.name}: dist is built`, `no complete dist/ in ${rel}: run \`npx pnpm@10 build\` first`)) continue;
    const distTime = statSync(join(dir, "dist", "index.js")).mtimeMs;
    check(newestMtime(join(dir, "src")) <= distTime, `${m.name}: dist is newer than src`,
      `${rel}/src changed after the last build: run \`npx pnpm@10 build\` first`);
    const before = new Set(existsSync(packDir) ? readdirSync(packDir) : []);
    const r = pnpm(["-C", rel, "pack", "--pack-destination", packDir], { cwd: root });
    const made = (existsSync(packDir) ? readdirSync(packDir) : []).filter((f) => f.endsWith(".tgz") && !before.has(f));
    if (!check(r.status === 0 && made.length === 1, `${m.name}: pnpm pack`, r.out)) continue;
    tarballs.set(m.name, join(packDir, made[0]));
  }
  console.log(`     (packed in ${elapsed(t0)})`);

  const allowed = /^(package\.json|README\.md|LICENSE|dist\/.+)$/;
  const required = ["package.json", "README.md", "LICENSE", "dist/index.js", "dist/index.cjs", "dist/index.d.ts", "dist/index.d.cts"];
  for (const [name, tgz] of tarballs) {
    const list = run("tar", ["-tzf", tgz]);
    const files = list.out.split("\n").filter(Boolean).map((f) => f.replace(/^package\//, ""));
    const missing = required.filter((f) => !files.includes(f));
    check(list.status === 0 && missing.length === 0, `${name}: tarball has ${required.join(", ")}`, `missing: ${missing.join(", ")}`);
    const extra = files.filter((f) => !allowed.test(f));
    check(extra.length === 0, `${name}: tarball has nothing but dist/, README.md, LICENSE, package.json`, `unexpected: ${extra.join(", ")}`);
    const shippedLicense = run("tar", ["-xzOf", tgz, "package/LICENSE"]).out;
    check(shippedLicense === license.trim(), `${name}: LICENSE is the root LICENSE`, "the tarball's LICENSE differs from the root one");
    const pkgText = run("tar", ["-xzOf", tgz, "package/package.json"]).out;
    const pkg = JSON.parse(pkgText);
    check(!pkgText.includes("workspace:"), `${name}: no workspace: protocol left in package.json`, pkgText);
    const internal = Object.entries({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies })
      .filter(([dep]) => versions.has(dep));
    const badRanges = internal.filter(([dep, range]) => range !== `^${versions.get(dep)}`);
    check(badRanges.length === 0, `${name}: internal dependencies are caret ranges (${internal.map(([d, r]) => `${d}@${r}`).join(", ") || "none"})`,
      badRanges.map(([d, r]) => `${d}: "${r}", expected "^${versions.get(d)}"`).join("\n"));
    check(pkg.engines?.node === ">=20", `${name}: engines.node is ">=20"`, `engines: ${JSON.stringify(pkg.engines)}`);
    check(pkg.license === "MIT", `${name}: license is MIT`, `license: ${JSON.stringify(pkg.license)}`);
  }

  // ---- 2. publint and attw ----------------------------------------------------------------
  t0 = performance.now();
  for (const [name, tgz] of tarballs) {
    const buf = readFileSync(tgz);
    const { messages, pkg } = await publint({
      pack: { tarball: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) },
      level: "suggestion",
      strict: true,
    });
    check(messages.length === 0, `${name}: publint (suggestions, warnings and errors)`,
      () => messages.map((msg) => `${msg.type}: ${formatMessage(msg, pkg, { color: false })}`).join("\n"));
  }
  console.log(`     (publint in ${elapsed(t0)})`);
  t0 = performance.now();
  for (const [name, tgz] of tarballs) {
    const r = run(bin("attw"), [tgz, "--no-definitely-typed", "--profile", "strict", "--format", "json"], { cwd: scratch });
    let problems;
    try {
      problems = JSON.parse(r.out).analysis.problems;
    } catch {
      problems = null;
    }
    if (problems === null) fail(`${name}: @arethetypeswrong/cli`, r.out);
    else check(problems.length === 0 && r.status === 0, `${name}: @arethetypeswrong/cli (strict profile)`, () => {
      const table = run(bin("attw"), [tgz, "--no-definitely-typed", "--profile", "strict", "--format", "ascii", "--no-color", "--no-emoji"], { cwd: scratch });
      return `${problems.map((p) => JSON.stringify(p)).join("\n")}\n${table.out}`;
    });
  }
  console.log(`     (attw in ${elapsed(t0)})`);

  // ---- 3. install with npm into a scratch project, import, type-check ----------------------
  if (tarballs.size === packageDirs.length) {
    t0 = performance.now();
    const { mkdirSync } = await import("node:fs");
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, version: "0.0.0" }, null, 2));
    const inst = run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...tarballs.values()],
      { cwd: project, env: cleanEnv() });
    const installed = check(inst.status === 0, "npm install of the tarballs in a scratch project", inst.out);
    console.log(`     (npm install in ${elapsed(t0)})`);
    if (installed) {
      const lock = JSON.parse(readFileSync(join(project, "package-lock.json"), "utf8"));
      const fromRegistry = Object.entries(lock.packages)
        .filter(([p]) => /node_modules\/@minigrad\//.test(p))
        .filter(([p, e]) => !/^node_modules\/@minigrad\/[^/]+$/.test(p) || !String(e.resolved).startsWith("file:"));
      check(fromRegistry.length === 0, "@minigrad/* installed once each, from the tarballs",
        fromRegistry.map(([p, e]) => `${p}: ${e.resolved}`).join("\n"));
      const ls = run("npm", ["ls", "--all"], { cwd: project, env: cleanEnv() });
      check(ls.status === 0, "npm ls --all (dependency tree is valid)", ls.out);

      writeConsumer(project);
      for (const file of ["esm.mjs", "cjs.cjs"]) {
        const r = run(process.execPath, [file], { cwd: project, timeout: 60_000 });
        check(r.status === 0 && r.out.includes("consumer ok"), `node ${file} (${file.startsWith("esm") ? "import" : "require"}, trains 5 steps)`, r.out);
      }
      // @minigrad/nn/node (the file helpers' subpath) reaches the main entry by the package's own
      // name: a round trip through a file, and its errors are the main entry's SafetensorsError.
      const nodeCheck = (load) => `${load}
const file = require("node:path").join(require("node:os").tmpdir(), \`minigrad-rc-\${process.pid}.safetensors\`);
(async () => {
  const m = new nn.Linear(3, 2);
  await io.saveSafetensors(file, m.stateDict());
  const back = await io.loadSafetensors(file);
  require("node:fs").writeFileSync(file, new Uint8Array(3));
  const e = await io.loadSafetensors(file).catch((err) => err);
  require("node:fs").rmSync(file);
  if (Object.keys(back).join() !== "weight,bias" || !(e instanceof nn.SafetensorsError)) throw new Error("round trip or error class wrong");
  console.log("subpath ok");
})();
`;
      writeFileSync(join(project, "node-subpath.cjs"), nodeCheck(`const nn = require("@minigrad/nn");\nconst io = require("@minigrad/nn/node");`));
      writeFileSync(join(project, "node-subpath.mjs"), nodeCheck(`import { createRequire } from "node:module";\nconst require = createRequire(import.meta.url);\nconst nn = await import("@minigrad/nn");\nconst io = await import("@minigrad/nn/node");`));
      for (const file of ["node-subpath.mjs", "node-subpath.cjs"]) {
        const r = run(process.execPath, [file], { cwd: project, timeout: 60_000 });
        check(r.status === 0 && r.out.includes("subpath ok"), `node ${file} (@minigrad/nn/node: saveSafetensors/loadSafetensors, one SafetensorsError)`, r.out);
      }
      const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
      for (const cfg of ["tsconfig.nodenext.json", "tsconfig.bundler.json"]) {
        const r = run(process.execPath, [tsc, "-p", cfg], { cwd: project });
        check(r.status === 0, `tsc --strict -p ${cfg} (skipLibCheck off)`, r.out);
      }
      // A consumer whose `lib` leaves out DOM (Node with only @types/node) must be able to
      // check the declarations: they name no WebAssembly.* (or other DOM) type.
      const noDom = run(process.execPath, [tsc, "-p", "tsconfig.nodom.json"], { cwd: project });
      check(noDom.status === 0, "tsc --strict -p tsconfig.nodom.json (lib es2022 only)", noDom.out);
    }
  }
} finally {
  if (keep) console.log(`kept ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}

console.log(`\nrelease check: ${failures.length === 0 ? "passed" : `${failures.length} failed`}`
  + `${warnings.length ? ` (${warnings.length} warning${warnings.length > 1 ? "s" : ""})` : ""} in ${elapsed(started)}`);
for (const w of warnings) console.log(`  warning: ${w}`);
if (failures.length) {
  for (const f of failures) console.log(`  - ${f}`);
  process.exit(1);
}

/** The consumer: the README's training loop, in JS (ESM and CJS) and typed TS (nodenext .mts/.cts, bundler .ts). */
function writeConsumer(dir) {
  const body = (ts) => `
manualSeed(0);
const x${ts ? ": Tensor" : ""} = randn([64, 8]);
const y = randint(0, 3, [64]);
const model = new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 3));
const optimizer = new RMSprop(model.parameters(), { lr: 1e-2 });
const losses${ts ? ": number[]" : ""} = [];
for (let step = 0; step < 5; step++) {
  optimizer.zeroGrad();
  const loss = F.crossEntropy(model.forward(x), y);
  loss.backward();
  optimizer.step();
  losses.push(loss.item());
}
for (const p of model.parameters()) {
  if (!(p instanceof Tensor) || p.grad === null) throw new Error("parameters are not tensors of @minigrad/tensor with gradients");
}
const big = randn([256, 256]);
const product = mm(big, big); // large enough for the worker thread
const state${ts ? ": OptimizerStateDict" : ""} = optimizer.stateDict();
const json = JSON.stringify(stateDictToJSON(state));
const nd = toNdarray(x);
if (!(losses[4] < losses[0])) throw new Error("loss did not decrease: " + losses.join(", "));
if (product.shape[0] !== 256 || nd.shape[0] !== 64 || json.length === 0) throw new Error("unexpected results");
console.log("consumer ok", losses[0].toFixed(4), losses[4].toFixed(4));
`;
  const tensorNames = "Tensor, manualSeed, mm, randint, randn, toNdarray";
  const esm = (ts) => `${ts ? "declare const console: { log(...args: unknown[]): void }; // lib es2022 only, no DOM or Node types\n" : ""}import { ${tensorNames} } from "@minigrad/tensor";
import { Linear, ReLU, Sequential, functional as F } from "@minigrad/nn";
import { RMSprop, stateDictToJSON${ts ? ", type OptimizerStateDict" : ""} } from "@minigrad/optim";
${body(ts)}`;
  writeFileSync(join(dir, "esm.mjs"), esm(false));
  writeFileSync(join(dir, "cjs.cjs"), `"use strict";
const { ${tensorNames} } = require("@minigrad/tensor");
const { Linear, ReLU, Sequential, functional: F } = require("@minigrad/nn");
const { RMSprop, stateDictToJSON } = require("@minigrad/optim");
${body(false)}`);
  writeFileSync(join(dir, "consumer.mts"), esm(true));
  writeFileSync(join(dir, "consumer.cts"), `${esm(true)}export {};\n`);
  writeFileSync(join(dir, "consumer-bundler.ts"), `${esm(true)}export {};\n`);
  // TypeScript's default lib for the target (ES2022 and DOM), no @types: what a consumer that sets neither gets.
  const base = { strict: true, noEmit: true, target: "es2022", types: [], skipLibCheck: false };
  writeFileSync(join(dir, "tsconfig.nodenext.json"), JSON.stringify({
    compilerOptions: { ...base, module: "nodenext", moduleResolution: "nodenext" },
    files: ["consumer.mts", "consumer.cts"],
  }, null, 2));
  writeFileSync(join(dir, "tsconfig.bundler.json"), JSON.stringify({
    compilerOptions: { ...base, module: "esnext", moduleResolution: "bundler" },
    files: ["consumer-bundler.ts"],
  }, null, 2));
  writeFileSync(join(dir, "tsconfig.nodom.json"), JSON.stringify({
    compilerOptions: { ...base, lib: ["es2022"], module: "nodenext", moduleResolution: "nodenext" },
    files: ["consumer.mts", "consumer.cts"],
  }, null, 2));
}
