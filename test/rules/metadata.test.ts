import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RECORD_KINDS } from '../../src/protocol/registry.ts';
import { ALL_RULES, RULES, renderRulesTable } from '../../src/rules/index.ts';
import { BEHAVIOURS, SEVERITIES } from '../../src/rules/types.ts';

describe('rule metadata', () => {
  it('every rule is well formed', () => {
    const ids = new Set<string>();
    const names = new Set<string>();
    for (const r of ALL_RULES) {
      expect(r.id, r.name).toMatch(/^LT-\d{3}$/);
      expect(r.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(ids.has(r.id), `duplicate id ${r.id}`).toBe(false);
      expect(names.has(r.name), `duplicate name ${r.name}`).toBe(false);
      ids.add(r.id);
      names.add(r.name);
      expect(r.title.length).toBeGreaterThan(5);
      expect(r.description.length).toBeGreaterThan(40);
      expect(r.tuning.length, `${r.id} tuning text`).toBeGreaterThan(40);
      expect(SEVERITIES).toContain(r.severity);
      expect(['stable', 'experimental']).toContain(r.maturity);
      expect(r.attack[0]).toBe('T1620');
      for (const t of r.attack) expect(t).toMatch(/^T\d{4}(\.\d{3})?$/);
      expect(new Set(r.attack).size).toBe(r.attack.length);
      for (const k of r.kinds) expect(RECORD_KINDS).toContain(k);
      for (const b of r.behaviours) expect(BEHAVIOURS).toContain(b);
    }
  });

  it('event rules consume events and consult the baseline', () => {
    for (const r of RULES) {
      expect(r.kinds.length, r.id).toBeGreaterThan(0);
      expect(r.behaviours.length, r.id).toBeGreaterThan(0);
      expect(typeof r.match).toBe('function');
    }
  });

  it('docs/rules.md holds the generated table', () => {
    const doc = readFileSync(new URL('../../docs/rules.md', import.meta.url), 'utf8');
    const m = /<!-- rules:begin -->\n([\s\S]*?)\n<!-- rules:end -->/.exec(doc);
    expect(m, 'markers present').not.toBeNull();
    expect(m![1]).toBe(renderRulesTable());
  });
});
