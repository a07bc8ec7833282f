import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatRecord } from '../../src/parse/format.ts';
import { generatedSection, renderDiagnosticTable, renderRecordTable } from '../../src/parse/protocol-doc.ts';
import { RECORD_KINDS, RECORDS } from '../../src/protocol/registry.ts';
import { DIAGNOSTIC_FAMILIES } from '../../src/parse/diagnostics.ts';
import { exampleFields, NONCE } from './helpers/trace.ts';

describe('formatRecord', () => {
  it('prints the marker, the kind and every registry field in order', () => {
    const line = formatRecord(NONCE, 'mmap', exampleFields('mmap', { ret: -1n, flags: 0x41802, comm: 'a b' }));
    expect(line).toBe(`LT1:${NONCE}\tmmap\t1732700000123456789\t4242\t1\t777\t501\ta b\\0\t100fc5e60\t100fc5e60\t3\t268290\t3\t100fc5e60\tffffffffffffffff\t3\n`);
  });

  it('prints bpftrace style with padding and trunc -', () => {
    const line = formatRecord(NONCE, 'exec', exampleFields('exec', { path: 'a\tb', pathTrunc: undefined, comm: 'c' }), { style: 'bpftrace', bufLen: 6 });
    expect(line).toBe(`LT1:${NONCE}\texec\t1732700000123456789\t4242\t1\t777\t501\tc\\x00\\x00\\x00\\x00\\x00\ta\\x09b\\x00\\x00\\x00\t-\n`);
  });

  it('refuses missing or ill-typed fields', () => {
    expect(() => formatRecord(NONCE, 'exit', { ...exampleFields('exit'), status: undefined })).toThrow(/int field status/);
    expect(() => formatRecord('xyz', 'exit', exampleFields('exit'))).toThrow(/nonce/);
    expect(() => formatRecord(NONCE, 'sample', { ...exampleFields('sample'), pc: 1.5 })).toThrow(/u64 field pc/);
  });
});

describe('docs/protocol.md', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/protocol.md', import.meta.url)), 'utf8');

  it('holds the record table generated from the registry', () => {
    expect(generatedSection(doc, 'records')).toBe(renderRecordTable());
  });

  it('holds the diagnostic families table generated from the code', () => {
    expect(generatedSection(doc, 'diagnostics')).toBe(renderDiagnosticTable());
  });

  it('the generated tables name every kind, field and family', () => {
    const t = renderRecordTable();
    for (const k of RECORD_KINDS) {
      expect(t).toContain(`| \`${k}\` |`);
      for (const f of RECORDS[k].fields) expect(t).toContain(`\`${f.name}\``);
    }
    const d = renderDiagnosticTable();
    for (const f of Object.keys(DIAGNOSTIC_FAMILIES)) expect(d).toContain(`| \`${f}\` |`);
  });
});
