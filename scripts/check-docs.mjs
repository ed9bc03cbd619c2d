#!/usr/bin/env node
// Lists the public API that has no TSDoc comment, per package, with counts:
//
//   npx pnpm@10 docs:check              report only (exit 0)
//   npx pnpm@10 docs:check -- --strict  exit 1 if anything is undocumented (for CI, once the comments are written)
//   npx pnpm@10 docs:check -- --quiet   counts only, no names
//
// It converts the packages exactly as `npx pnpm@10 docs` does (typedoc.json: each package's
// src/index.ts) and counts, for each package:
//   exports  every export of the entry point (classes, interfaces, functions, variables, type
//            aliases, enums), and every export of an exported namespace (`functional.linear`);
//   members  the properties, methods and accessors that each exported class and interface
//            declares itself (inherited ones are counted where they are declared; constructors are
//            not counted, as in TypeDoc's `validation.notDocumented`).
// Something is documented when it or one of its signatures has a comment; TypeDoc copies a
// comment from the member an override or implementation replaces, so those count as
// documented when the base member is. Names starting with `_` are internal by convention: they
// are not counted, only reported as skipped.
import { Application, ReflectionKind, TSConfigReader, TypeDocReader } from "typedoc";

const strict = process.argv.includes("--strict");
const quiet = process.argv.includes("--quiet");

const app = await Application.bootstrapWithPlugins({ logLevel: "Error" }, [new TypeDocReader(), new TSConfigReader()]);
const project = await app.convert();
if (!project) {
  console.error("docs:check: TypeDoc could not convert the packages (see the errors above)");
  process.exit(2);
}

const EXPORT_KINDS = ReflectionKind.Class | ReflectionKind.Interface | ReflectionKind.Function | ReflectionKind.Variable
  | ReflectionKind.TypeAlias | ReflectionKind.Enum;
const MEMBER_KINDS = ReflectionKind.Property | ReflectionKind.Method | ReflectionKind.Accessor;

function documented(r) {
  if (r.hasComment()) return true;
  const sigs = [...(r.signatures ?? []), r.getSignature, r.setSignature].filter(Boolean);
  if (r.type?.type === "reflection") sigs.push(...(r.type.declaration.signatures ?? []));
  return sigs.some((s) => s.hasComment());
}

const modules = project.kindOf(ReflectionKind.Module) ? [project] : (project.children ?? []).filter((c) => c.kindOf(ReflectionKind.Module));
const totals = { exports: 0, exportsDoc: 0, members: 0, membersDoc: 0, skipped: 0 };
const lines = [];
for (const mod of modules) {
  const undocExports = [];
  const undocMembers = [];
  let exports = 0, members = 0, skipped = 0;
  const visit = (container, prefix) => {
    for (const r of container.children ?? []) {
      const name = `${prefix}${r.name}`;
      if (r.kindOf(ReflectionKind.Namespace)) {
        visit(r, `${name}.`);
        continue;
      }
      if (!r.kindOf(EXPORT_KINDS)) continue; // re-export references are counted at their target
      if (r.name.startsWith("_")) { skipped++; continue; }
      exports++;
      if (!documented(r)) undocExports.push(name);
      if (!r.kindOf(ReflectionKind.Class | ReflectionKind.Interface)) continue;
      for (const m of r.children ?? []) {
        if (!m.kindOf(MEMBER_KINDS) || m.inheritedFrom) continue;
        if (m.name.startsWith("_")) { skipped++; continue; }
        members++;
        if (!documented(m)) undocMembers.push(`${name}.${m.name}`);
      }
    }
  };
  visit(mod, "");
  totals.exports += exports; totals.exportsDoc += exports - undocExports.length;
  totals.members += members; totals.membersDoc += members - undocMembers.length;
  totals.skipped += skipped;
  lines.push(`${mod.name}: ${exports - undocExports.length} of ${exports} exports documented, `
    + `${members - undocMembers.length} of ${members} class/interface members documented`
    + (skipped ? ` (${skipped} _-prefixed names skipped)` : ""));
  if (!quiet) {
    if (undocExports.length) lines.push(`  undocumented exports (${undocExports.length}):`, ...wrap(undocExports));
    if (undocMembers.length) lines.push(`  undocumented members (${undocMembers.length}):`, ...wrap(undocMembers));
  }
}
const undocumented = totals.exports - totals.exportsDoc + totals.members - totals.membersDoc;
lines.push(`total: ${totals.exportsDoc} of ${totals.exports} exports, ${totals.membersDoc} of ${totals.members} members documented; `
  + `${undocumented} undocumented`);
console.log(lines.join("\n"));
if (strict && undocumented > 0) process.exit(1);

function wrap(names, width = 100) {
  const out = [];
  let line = "    ";
  for (const n of names) {
    if (line.length > 4 && line.length + n.length + 2 > width) { out.push(line.trimEnd()); line = "    "; }
    line += `${n}, `;
  }
  if (line.trim()) out.push(line.replace(/, $/, ""));
  return out;
}
