import { describe, expect, it } from 'vitest';
import { COMMON_FIELDS, RECORDS, type RecordKind } from '../../src/protocol/registry.ts';
import { allCases } from './helpers/cases.ts';
import { checkPrintf, extractPrintfs } from './helpers/printf.ts';

/** The FIELDS section of a header: kinds with their field names, and the common field names. */
function parseFields(script: string): { common: string[]; kinds: Map<string, string[]> } {
  const head = script.slice(0, script.indexOf('*/'));
  const lines = head.split('\n').map((l) => l.replace(/^ \* ?/, ''));
  const start = lines.indexOf('FIELDS');
  const end = lines.indexOf('OVERHEAD');
  expect(start).toBeGreaterThan(0);
  const section = lines.slice(start + 1, end);
  const common = section[1]!.trim().split(' ');
  const kinds = new Map<string, string[]>();
  for (const l of section) {
    const m = /^ {2}kind ([a-z_]+): (.*)$/.exec(l);
    if (m) kinds.set(m[1]!, m[2]!.split(' '));
  }
  return { common, kinds };
}

describe('each header FIELDS section matches the registry and the script', () => {
  it.each(allCases().map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const { common, kinds } = parseFields(c.result.script);
    expect(common).toEqual(COMMON_FIELDS.map((f) => f.name));
    for (const [kind, fields] of kinds) {
      expect(fields).toEqual(RECORDS[kind as RecordKind].fields.map((f) => f.name));
    }
    const printed = new Set(extractPrintfs(c.result.script).map((p) => checkPrintf(p, c.backend).kind).filter(Boolean));
    expect([...kinds.keys()].sort()).toEqual([...printed].sort());
    for (const section of ['USAGE', 'OVERHEAD', 'CAVEATS', 'SEE ALSO']) expect(c.result.script).toContain(`\n * ${section}\n`);
  });
});
