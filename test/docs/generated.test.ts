import { describe, expect, it } from 'vitest';
import { DOC_SECTIONS, committedSection } from '../../scripts/gen-docs.ts';

describe('generated documentation', () => {
  for (const s of DOC_SECTIONS) {
    it(`${s.file} has the current ${s.name} table (npm run docs regenerates it)`, () => {
      const committed = committedSection(s);
      expect(committed, `${s.file} lacks the ${s.name}:begin/end markers`).not.toBeNull();
      expect(committed).toBe(s.render());
    });
  }
});
