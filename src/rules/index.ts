/**
 * The rule registry: an explicit list, in id order. Adding a rule means adding
 * its file and one line here; nothing registers itself on import.
 */
import { rule as atypicalLoader } from './atypical-loader.ts';
import { rule as atypicalDlsym } from './atypical-dlsym.ts';
import { rule as memoryImageLoad } from './memory-image-load.ts';
import { rule as rwxMemory } from './rwx-memory.ts';
import { rule as wxTransition } from './wx-transition.ts';
import { rule as anonExec } from './anon-exec.ts';
import { rule as writableLocationLib } from './writable-location-lib.ts';
import { rule as doubleMapping } from './double-mapping.ts';
import { meta as correlation } from './correlation.ts';
import type { Rule, RuleMeta } from './types.ts';

/** Every event rule, in id order. */
export const RULES: readonly Rule[] = [
  atypicalLoader,
  atypicalDlsym,
  memoryImageLoad,
  rwxMemory,
  wxTransition,
  anonExec,
  writableLocationLib,
  doubleMapping,
];

/** The correlation pseudo-rule applied by the engine to findings. */
export const CORRELATION_RULE: RuleMeta = correlation;

/** Metadata of every rule including correlation, for docs and validation. */
export const ALL_RULES: readonly RuleMeta[] = [...RULES, correlation];

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The rules overview for docs/rules.md, generated from the metadata so it cannot drift. */
export function renderRulesTable(): string {
  const lines = [
    '| ID | Name | Title | Severity | ATT&CK | Maturity | Events | Baseline keys |',
    '|----|------|-------|----------|--------|----------|--------|---------------|',
  ];
  for (const r of ALL_RULES) {
    lines.push(
      `| ${r.id} | \`${r.name}\` | ${cell(r.title)} | ${r.severity} | ${r.attack.join(', ')} | ${r.maturity} | ${r.kinds.length ? r.kinds.join(', ') : '(findings)'} | ${r.behaviours.length ? r.behaviours.map((b) => `\`${b}\``).join(', ') : '—'} |`,
    );
  }
  for (const r of ALL_RULES) {
    lines.push('', `### ${r.id} ${r.name}: ${r.title}`, '', r.description, '', `**Tuning.** ${r.tuning}`);
  }
  return lines.join('\n');
}

export { SENSITIVE_SYMBOLS, isSensitiveSymbol } from './atypical-dlsym.ts';
export { IMAGE_MAGICS, imageMagic } from './memory-image-load.ts';
export { classifyLocation, isDyldMemoryTemp, isFdExecPath } from './paths.ts';
export { combinedSeverity } from './correlation.ts';
export * from './types.ts';
