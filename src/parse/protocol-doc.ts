/**
 * Generated parts of docs/protocol.md: the record table comes from the
 * registry and the diagnostics table from DIAGNOSTIC_FAMILIES, so a test can
 * fail when the committed document drifts from the code.
 */
import type { DiagnosticFamily } from '../protocol/diagnostics.ts';
import { COMMON_FIELDS, RECORDS, RECORD_KINDS, type FieldSpec } from '../protocol/registry.ts';
import { DIAGNOSTIC_FAMILIES } from './diagnostics.ts';

const DERIVED: Record<string, string> = {
  mmap: '`anon`, `jit`, `shared`, `fixed` (booleans from `flags` with the OS table)',
  mprotect: '`prevAnon` (null when `prevFlags` is -1, else whether it has the OS anon bit)',
  vm_protect: '`prevAnon` (null when `prevFlags` is -1, else whether it has the OS anon bit)',
};

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function fieldRow(pos: number, f: FieldSpec): string {
  return `| ${pos} | \`${f.name}\` | \`${f.type}\` | ${cell(f.doc)} |`;
}

/** Markdown: the common fields, then one table per record kind, all from the registry. */
export function renderRecordTable(): string {
  const out: string[] = [];
  out.push('Common fields, after the marker (column 1) and the kind (column 2):', '');
  out.push('| column | field | wire type | meaning |', '|---|---|---|---|');
  COMMON_FIELDS.forEach((f, i) => out.push(fieldRow(i + 3, f)));
  out.push('');
  out.push('| kind | fields after the common ones (wire type) | derived by the parser | what it is |', '|---|---|---|---|');
  for (const kind of RECORD_KINDS) {
    const spec = RECORDS[kind];
    const fields = spec.fields.map((f) => `\`${f.name}\` ${f.type}`).join(', ');
    out.push(`| \`${kind}\` | ${cell(fields)} | ${DERIVED[kind] ?? '-'} | ${cell(spec.doc)} |`);
  }
  for (const kind of RECORD_KINDS) {
    const spec = RECORDS[kind];
    out.push('', `#### \`${kind}\``, '', cell(spec.doc), '');
    out.push('| column | field | wire type | meaning |', '|---|---|---|---|');
    spec.fields.forEach((f, i) => out.push(fieldRow(i + 3 + COMMON_FIELDS.length, f)));
  }
  return out.join('\n');
}

/** Markdown table of the diagnostic families with severity, source lines and extracted data. */
export function renderDiagnosticTable(): string {
  const out = ['| family | severity | lines | data |', '|---|---|---|---|'];
  for (const [family, info] of Object.entries(DIAGNOSTIC_FAMILIES) as [DiagnosticFamily, (typeof DIAGNOSTIC_FAMILIES)[DiagnosticFamily]][]) {
    out.push(`| \`${family}\` | ${info.severity} | ${cell(info.doc)} | ${cell(info.data)} |`);
  }
  return out.join('\n');
}

function sectionBounds(doc: string, name: string): [number, number] | null {
  const begin = `<!-- ${name}:begin -->\n`;
  const i = doc.indexOf(begin);
  if (i < 0) return null;
  const j = doc.indexOf(`<!-- ${name}:end -->`, i + begin.length);
  if (j < 0) return null;
  return [i + begin.length, j];
}

/** The text between the `<!-- name:begin -->` and `<!-- name:end -->` lines, or null when a marker is missing. */
export function generatedSection(doc: string, name: string): string | null {
  const b = sectionBounds(doc, name);
  return b === null ? null : doc.slice(b[0], b[1]).replace(/\n$/, '');
}

/** The document with a generated section replaced (markers kept). */
export function replaceGeneratedSection(doc: string, name: string, content: string): string {
  const b = sectionBounds(doc, name);
  if (b === null) throw new Error(`markers of section ${name} not found`);
  return doc.slice(0, b[0]) + content + '\n' + doc.slice(b[1]);
}
