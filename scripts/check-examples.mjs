#!/usr/bin/env node
/**
 * `pnpm check-examples`: type-checks the code samples users copy — every ```ts block of
 * `packages/<pkg>/README.md` and every `@example` block in `packages/<pkg>/src` — against the
 * built packages (`dist`, as a user's compiler sees them), with strict TypeScript.
 *
 * Samples are fragments: they use Tendril's names without importing them, and values the
 * reader is meant to have (`urls`, `response`, `sock`). So each sample becomes a module of its
 * own in which
 * - every public name of the published entries that the sample uses and neither imports nor
 *   declares is imported (from the sample's own package first, then core, green-net, tpool,
 *   patterns) — a name that no entry exports stays unresolved and fails the check;
 * - every other name the compiler cannot find is declared `any`: it stands for the reader's
 *   own value. What is checked is therefore everything the sample says about Tendril: that
 *   the names exist, the calls take those arguments and options, the results have those
 *   members and types, and `await` and `using` are used where the types allow.
 *
 * Trade-off: a misspelt local name of a sample is taken for one of the reader's values rather
 * than reported; only the compiler's "cannot find name" is treated so, every other error fails.
 *
 * Usage: `node scripts/check-examples.mjs [path-substring]` — run `pnpm build` first. Exits 1
 * and names each failing sample as `file:line`.
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { entriesOf, publicPackages } from "./entries.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// A sample is compiled as a file of its own package (in a folder that does not exist), so its
// imports resolve as they do for the package: itself by name, its dependencies, and the
// third-party libraries its samples show it with (its devDependencies).
const SAMPLES_DIR = ".doc-samples";

/** Every `.ts` file under `dir` (sources only: no declaration files). */
function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** The ```ts blocks of a markdown file: `{ line, code }` (line of the fence). */
export function markdownSamples(text) {
  const samples = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i] ?? "")) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ""); i++) body.push(lines[i]);
    samples.push({ line: start + 1, code: body.join("\n") });
  }
  return samples;
}

/** The fenced code of each `@example` tag in the doc comments of a source file. */
export function exampleSamples(text) {
  const samples = [];
  for (const match of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const comment = match[0];
    const lines = comment
      .split("\n")
      .map((l) => l.replace(/^\s*\*\s?/, "").replace(/^\/\*\*\s?/, ""));
    const firstLine = text.slice(0, match.index).split("\n").length;
    for (let i = 0; i < lines.length; i++) {
      if (!/^@example\b/.test(lines[i] ?? "")) continue;
      let j = i + 1;
      while (j < lines.length && !/^```/.test(lines[j] ?? "")) {
        if (/^@\w/.test(lines[j] ?? "")) break;
        j++;
      }
      if (!/^```(ts|typescript)?\s*$/.test(lines[j] ?? "")) continue;
      const body = [];
      let k = j + 1;
      for (; k < lines.length && !/^```/.test(lines[k] ?? ""); k++) body.push(lines[k]);
      samples.push({ line: firstLine + j, code: body.join("\n") });
      i = k;
    }
  }
  return samples;
}

/** Name → module specifier of every public export, the sample's own package first. */
function exportTable(packages) {
  const byPackage = new Map();
  const program = ts.createProgram(
    packages.flatMap(({ dir, pkg }) => entriesOf(pkg).map((e) => join(dir, e.types))),
    {
      noEmit: true,
      skipLibCheck: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: ["node"],
    },
  );
  const checker = program.getTypeChecker();
  for (const { dir, pkg } of packages) {
    const names = new Map();
    for (const entry of entriesOf(pkg)) {
      const file = program.getSourceFile(join(dir, entry.types));
      const symbol = file && checker.getSymbolAtLocation(file);
      if (!symbol) continue;
      const specifier = entry.key === "." ? pkg.name : `${pkg.name}/${entry.key.slice(2)}`;
      for (const exported of checker.getExportsOfModule(symbol)) {
        if (!names.has(exported.name)) names.set(exported.name, specifier);
      }
    }
    byPackage.set(pkg.name, names);
  }
  return byPackage;
}

/** The packages whose names a sample of `pkg` may use unimported: itself, then its dependencies. */
function visibleFrom(pkg) {
  const deps = Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith("@tendril/"));
  return [pkg.name, ...deps];
}

/** The identifiers a sample uses, and the names it imports or declares at its top level. */
function namesIn(code) {
  const source = ts.createSourceFile("sample.ts", code, ts.ScriptTarget.Latest, true);
  const used = new Set();
  const declared = new Set();
  const visit = (node) => {
    if (ts.isIdentifier(node)) used.add(node.text);
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      if (clause?.name) declared.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings))
        for (const el of bindings.elements) declared.add(el.name.text);
      if (bindings && ts.isNamespaceImport(bindings)) declared.add(bindings.name.text);
    }
    if (
      (ts.isFunctionDeclaration(node) ||
        ts.isClassDeclaration(node) ||
        ts.isVariableDeclaration(node) ||
        ts.isInterfaceDeclaration(node) ||
        ts.isTypeAliasDeclaration(node)) &&
      node.name &&
      ts.isIdentifier(node.name)
    ) {
      declared.add(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { used, declared };
}

function compile(files) {
  const options = {
    noEmit: true,
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ["node"],
    typeRoots: [join(root, "node_modules", "@types")],
    // The reader's values are `any`, so a callback handed to one has parameters of no type.
    noImplicitAny: false,
    allowUnreachableCode: true,
  };
  const compilerHost = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = compilerHost;
  compilerHost.getSourceFile = (name, version, ...rest) =>
    files.has(name)
      ? ts.createSourceFile(name, files.get(name), version, true)
      : getSourceFile.call(compilerHost, name, version, ...rest);
  compilerHost.fileExists = (name) => files.has(name) || fileExists.call(compilerHost, name);
  compilerHost.readFile = (name) => files.get(name) ?? readFile.call(compilerHost, name);
  const program = ts.createProgram([...files.keys()], options, compilerHost);
  return ts.getPreEmitDiagnostics(program).filter((d) => d.file && files.has(d.file.fileName));
}

// "Cannot find name" in its variants (a shorthand property, a test runner's global).
const CANNOT_FIND = new Set([2304, 2552, 2580, 2582, 2593, 18004]);
// Calls of the reader's `any` values with type arguments.
const IGNORED = new Set([2347]);

function main() {
  const filter = process.argv[2];
  const packages = publicPackages(root);
  const table = exportTable(packages);
  const samples = [];
  for (const { dir, pkg } of packages) {
    const readme = join(dir, "README.md");
    try {
      for (const s of markdownSamples(readFileSync(readme, "utf8")))
        samples.push({ ...s, file: readme, pkg, dir });
    } catch {}
    for (const file of sourceFiles(join(dir, "src"))) {
      for (const s of exampleSamples(readFileSync(file, "utf8")))
        samples.push({ ...s, file, pkg, dir });
    }
  }
  const chosen = samples.filter((s) => !filter || relative(root, s.file).includes(filter));
  const files = new Map();
  const sampleOf = new Map();
  chosen.forEach((sample, i) => {
    const { used, declared } = namesIn(sample.code);
    const imports = new Map();
    for (const name of used) {
      if (declared.has(name)) continue;
      for (const p of visibleFrom(sample.pkg)) {
        const specifier = table.get(p)?.get(name);
        if (specifier) {
          if (!imports.has(specifier)) imports.set(specifier, []);
          imports.get(specifier).push(name);
          break;
        }
      }
    }
    const header = [...imports].map(
      ([spec, names]) => `import { ${names.join(", ")} } from "${spec}";`,
    );
    const name = join(sample.dir, SAMPLES_DIR, `sample-${i}.ts`);
    sample.prelude = header;
    sample.freeNames = [];
    files.set(name, `${header.join("\n")}\n${sample.code}\nexport {};\n`);
    sampleOf.set(name, sample);
  });
  // First pass: the names the reader supplies; second pass: everything else is a finding.
  for (const d of compile(files)) {
    if (!CANNOT_FIND.has(d.code) || d.file === undefined || d.start === undefined) continue;
    const sample = sampleOf.get(d.file.fileName);
    const name = d.file.text.slice(d.start, d.start + (d.length ?? 0));
    if (!sample.freeNames.includes(name)) sample.freeNames.push(name);
  }
  for (const [name, sample] of sampleOf) {
    // A value and a type of the same name: the reader's value, or the reader's type.
    const declared = sample.freeNames.map((n) => `declare const ${n}: any; type ${n} = any;`);
    files.set(name, `${[...sample.prelude, ...declared].join("\n")}\n${sample.code}\nexport {};\n`);
  }
  const problems = [];
  for (const d of compile(files)) {
    if (IGNORED.has(d.code)) continue;
    const sample = sampleOf.get(d.file.fileName);
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const offset = sample.prelude.length + sample.freeNames.length;
    const where = `${relative(root, sample.file)}:${sample.line + 1 + (line - offset)}`;
    problems.push(`${where}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  }
  if (problems.length > 0) {
    console.error(problems.join("\n"));
    console.error(`\ncheck-examples: ${problems.length} error(s) in ${chosen.length} samples`);
    process.exit(1);
  }
  console.log(`check-examples: ${chosen.length} samples type-check`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
