/**
 * Regenerates the tables in README.md and docs/ from the code's own metadata
 * (record registry, diagnostic families, tool list, rule metadata), so the
 * documentation cannot drift: test/docs/generated.test.ts fails when a
 * committed copy is stale. Run with `npm run docs`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderToolsTable } from '../src/generate/index.ts';
import { generatedSection, renderDiagnosticTable, renderRecordTable, replaceGeneratedSection } from '../src/parse/protocol-doc.ts';
import { renderRulesTable } from '../src/rules/index.ts';

export interface DocSection {
  /** Path relative to the package root. */
  readonly file: string;
  /** Marker name: the section lies between `<!-- name:begin -->` and `<!-- name:end -->`. */
  readonly name: string;
  readonly render: () => string;
}

/** The rules table without the per-rule tuning text, for the README. */
function rulesSummary(): string {
  const table = renderRulesTable();
  const end = table.indexOf('\n\n');
  return end < 0 ? table : table.slice(0, end);
}

export const DOC_SECTIONS: readonly DocSection[] = [
  { file: 'README.md', name: 'tools', render: renderToolsTable },
  { file: 'README.md', name: 'rules', render: rulesSummary },
  { file: 'docs/tools.md', name: 'tools', render: renderToolsTable },
  { file: 'docs/rules.md', name: 'rules', render: renderRulesTable },
  { file: 'docs/protocol.md', name: 'records', render: renderRecordTable },
  { file: 'docs/protocol.md', name: 'diagnostics', render: renderDiagnosticTable },
];

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The section as committed, or null when its markers are missing. */
export function committedSection(s: DocSection): string | null {
  return generatedSection(readFileSync(ROOT + s.file, 'utf8'), s.name);
}

function main(): void {
  for (const s of DOC_SECTIONS) {
    const path = ROOT + s.file;
    const before = readFileSync(path, 'utf8');
    const after = replaceGeneratedSection(before, s.name, s.render());
    if (after !== before) {
      writeFileSync(path, after);
      process.stdout.write(`updated ${s.file} (${s.name})\n`);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
