#!/usr/bin/env node
/**
 * `pnpm api:check` / `pnpm api:update`: the API report of every published entry point.
 *
 * For each package under `packages/` and each entry of its `exports` map (except
 * `./package.json`), API Extractor reads the built `.d.ts` of the entry and writes a normalized
 * listing of everything a user can reach through it to `packages/<pkg>/api/<entry>.api.md`
 * (`index` for `.`, `testing` for `./testing`, …). The reports are checked in: a change to a
 * published signature shows up as a diff of them in review.
 *
 * - `--update` (`pnpm api:update`) rewrites the reports, and deletes those of entries that no
 *   longer exist.
 * - Without it (`pnpm api:check`, in CI after the build) nothing is written; the check fails,
 *   printing the diff, when a report is out of date, missing or left over.
 *
 * Trade-off: the configuration of each entry is built here from its package.json rather than
 * kept as one `api-extractor.json` per entry, so a new entry point gets its report without a
 * new file, and every entry is held to the same rules. What the rules are:
 * - release tags (`@public`, `@beta`) are not used, so their absence is not reported;
 * - missing doc comments are the docs build's business (and the finding names a source line,
 *   which would make every edit above it a change of the report);
 * - TSDoc syntax is not API Extractor's business here (the docs build checks the comments);
 * - every other finding (a type used in a public signature but not exported by the entry, …)
 *   is written into the report, where review sees it, instead of failing the build.
 *
 * Usage: `node scripts/api-report.mjs [--update] [package-name …]` — run `pnpm build` first.
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Extractor, ExtractorConfig } from "@microsoft/api-extractor";
import { entriesOf, publicPackages } from "./entries.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function extractorConfig(pkgDir, entry, reportFolder, tempFolder) {
  return ExtractorConfig.prepare({
    configObject: {
      projectFolder: pkgDir,
      mainEntryPointFilePath: join(pkgDir, entry.types),
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: "ES2022",
            lib: ["ES2023", "ESNext.Disposable"],
            module: "NodeNext",
            moduleResolution: "NodeNext",
            strict: true,
            skipLibCheck: true,
            types: ["node"],
            typeRoots: [join(root, "node_modules", "@types")],
          },
          include: [join(pkgDir, "dist")],
        },
      },
      apiReport: {
        enabled: true,
        reportFileName: entry.name,
        reportFolder,
        reportTempFolder: tempFolder,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: "lf",
      messages: {
        compilerMessageReporting: { default: { logLevel: "error" } },
        extractorMessageReporting: {
          default: { logLevel: "warning", addToApiReportFile: true },
          "ae-missing-release-tag": { logLevel: "none", addToApiReportFile: false },
          // Carries a source line number, so any edit above it would change the report; the
          // docs build already fails on an undocumented export.
          "ae-undocumented": { logLevel: "none", addToApiReportFile: false },
        },
        tsdocMessageReporting: { default: { logLevel: "none" } },
      },
    },
    configObjectFullPath: undefined,
    packageJsonFullPath: join(pkgDir, "package.json"),
  });
}

/** API Extractor's messages about the report file itself (created, changed, copied). */
const REPORT_STATUS = new Set([
  "console-api-report-copied",
  "console-api-report-created",
  "console-api-report-not-copied",
  "console-api-report-unchanged",
  "console-api-report-folder-missing",
]);

function diff(expectedPath, actualPath) {
  const result = spawnSync("diff", ["-u", expectedPath, actualPath], { encoding: "utf8" });
  return result.stdout || result.stderr || "(the reports differ)";
}

function main() {
  const args = process.argv.slice(2);
  const update = args.includes("--update");
  const only = new Set(args.filter((a) => !a.startsWith("--")));
  const temp = mkdtempSync(join(tmpdir(), "tendril-api-"));
  const problems = [];
  let count = 0;
  let versionNoticeShown = false;
  try {
    for (const { dir: pkgDir, dirName, pkg } of publicPackages(root)) {
      if (only.size > 0 && !only.has(pkg.name)) continue;
      const reportFolder = join(pkgDir, "api");
      const tempFolder = join(temp, dirName);
      mkdirSync(tempFolder, { recursive: true });
      if (update) mkdirSync(reportFolder, { recursive: true });
      const entries = entriesOf(pkg);
      for (const entry of entries) {
        if (!existsSync(join(pkgDir, entry.types))) {
          problems.push(`${pkg.name} "${entry.key}": ${entry.types} is missing; run pnpm build`);
          continue;
        }
        const reportPath = join(reportFolder, `${entry.name}.api.md`);
        const config = extractorConfig(pkgDir, entry, reportFolder, tempFolder);
        let findings = 0;
        const result = Extractor.invoke(config, {
          localBuild: update,
          messageCallback: (message) => {
            // That the report changed is what this script reports (with the diff), not a finding.
            if (message.messageId === "console-preamble") {
              // Said once: the same for every entry.
              message.handled = versionNoticeShown;
              versionNoticeShown = true;
            } else if (REPORT_STATUS.has(message.messageId)) {
              message.handled = true;
            } else if (message.logLevel === "error" || message.logLevel === "warning") {
              findings++;
            }
          },
        });
        count++;
        const where = relative(root, reportPath);
        if (findings > 0 || result.errorCount > 0) {
          problems.push(`${where}: API Extractor reported ${findings} problem(s) (above)`);
        } else if (!update && result.apiReportChanged) {
          const actual = join(tempFolder, `${entry.name}.api.md`);
          problems.push(
            existsSync(reportPath)
              ? `${where} is out of date:\n${diff(reportPath, actual)}`
              : `${where} is missing`,
          );
        }
      }
      // Reports of entries that are gone.
      const wanted = new Set(entries.map((e) => `${e.name}.api.md`));
      if (existsSync(reportFolder)) {
        for (const file of readdirSync(reportFolder)) {
          if (!file.endsWith(".api.md") || wanted.has(file)) continue;
          if (update) rmSync(join(reportFolder, file));
          else problems.push(`${relative(root, join(reportFolder, file))}: no such entry any more`);
        }
      }
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  if (problems.length > 0) {
    console.error(`\n${problems.join("\n\n")}`);
    console.error(
      update
        ? "\napi:update: fix the errors above, then run it again."
        : "\napi:check: the public API differs from the checked-in reports. If the change is " +
            "intended, run `pnpm build && pnpm api:update` and commit packages/*/api/ with it.",
    );
    process.exit(1);
  }
  console.log(`api: ${count} entry points ${update ? "written" : "match their reports"}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
