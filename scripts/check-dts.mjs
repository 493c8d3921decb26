#!/usr/bin/env node
/**
 * `pnpm check-dts`: fails when a built declaration file shows an internal.
 *
 * Runs after `pnpm build`. Every `.d.ts` under `packages/<pkg>/dist` is read with TypeScript's
 * parser, and the check fails when one
 *
 * - declares a member (property, method, accessor; in a class, interface or type literal)
 *   or a top-level declaration whose name starts with `_` — the convention for internals; or
 * - still carries an `@internal` tag, which means `stripInternal` left it there (a tag the
 *   compiler does not see, such as one in a plain `//` comment or in the middle of a comment
 *   that documents something else); or
 * - does not compile on its own: the declaration files of every package are type-checked
 *   together, without `skipLibCheck`, the way a user's compiler sees them. `stripInternal`
 *   removes declarations without checking who refers to them, so a public signature that
 *   names an internal type compiles in the sources and breaks only in the published types.
 *
 * Trade-off: a `private` member counts like any other (its name is in the `.d.ts` even though
 * its type is not); use `#private` or a module-level function for those.
 *
 * Usage: `node scripts/check-dts.mjs [workspace-root]` — exits 1 and lists every finding.
 */

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** Every `.d.ts` file under `dir`, recursively. */
function declarationFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...declarationFiles(path));
    else if (name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** The built packages: `packages/<name>/dist`, for each package that has been built. */
export function builtPackages(root) {
  const packagesDir = join(root, "packages");
  return readdirSync(packagesDir)
    .map((name) => join(packagesDir, name))
    .filter((dir) => existsSync(join(dir, "package.json")) && existsSync(join(dir, "dist")));
}

const MEMBER_KINDS = new Set([
  ts.SyntaxKind.PropertyDeclaration,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
  ts.SyntaxKind.PropertySignature,
  ts.SyntaxKind.MethodSignature,
]);

const TOP_LEVEL_KINDS = new Set([
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.ClassDeclaration,
  ts.SyntaxKind.InterfaceDeclaration,
  ts.SyntaxKind.TypeAliasDeclaration,
  ts.SyntaxKind.EnumDeclaration,
  ts.SyntaxKind.VariableDeclaration,
]);

/** The findings of the name and tag rules in one declaration file's text. */
export function findInternals(fileName, text) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const findings = [];
  const at = (pos) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node) => {
    const name = node.name;
    if (name && (ts.isIdentifier(name) || ts.isStringLiteral(name)) && name.text.startsWith("_")) {
      if (MEMBER_KINDS.has(node.kind)) {
        findings.push({ line: at(name.getStart(source)), message: `member ${name.text}` });
      } else if (TOP_LEVEL_KINDS.has(node.kind)) {
        findings.push({ line: at(name.getStart(source)), message: `declaration ${name.text}` });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  for (const match of text.matchAll(/@internal\b/g)) {
    findings.push({ line: at(match.index), message: "an @internal tag" });
  }
  return findings.sort((a, b) => a.line - b.line);
}

/**
 * Type-checks the declaration files together; returns the diagnostics in those files.
 * `types` are the `@types` packages to load from `root` (Node's, by default).
 */
export function compileDeclarations(root, files, types = ["node"]) {
  const program = ts.createProgram(files, {
    noEmit: true,
    strict: true,
    skipLibCheck: false,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types,
    typeRoots: [join(root, "node_modules", "@types")],
  });
  const ours = new Set(files.map((f) => resolve(f)));
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || ours.has(resolve(d.file.fileName)));
}

function main() {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
  const packages = builtPackages(root);
  if (packages.length === 0) {
    console.error("check-dts: no packages/*/dist found; run `pnpm build` first");
    process.exit(1);
  }
  const files = packages.flatMap((dir) => declarationFiles(join(dir, "dist")));
  const problems = [];
  for (const file of files) {
    for (const f of findInternals(file, readFileSync(file, "utf8"))) {
      problems.push(`${relative(root, file)}:${f.line}: ${f.message} in a published declaration`);
    }
  }
  for (const d of compileDeclarations(root, files)) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (d.file && d.start !== undefined) {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      problems.push(`${relative(root, d.file.fileName)}:${line + 1}: TS${d.code} ${text}`);
    } else {
      problems.push(`TS${d.code} ${text}`);
    }
  }
  if (problems.length > 0) {
    console.error(problems.join("\n"));
    console.error(
      `\ncheck-dts: ${problems.length} problem(s) in ${files.length} declaration files. Mark ` +
        "internals `/** @internal */` (stripped from the build by `stripInternal`), or make " +
        "them `#private` or module-private; a public signature must name only public types.",
    );
    process.exit(1);
  }
  console.log(`check-dts: ${files.length} declaration files in ${packages.length} packages, clean`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
