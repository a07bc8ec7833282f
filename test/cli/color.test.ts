import { describe, expect, it } from 'vitest';
import { useColor } from '../../src/cli/color.ts';

describe('useColor', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  it('auto: a terminal with NO_COLOR unset or empty', () => {
    expect(useColor('auto', tty, {})).toBe(true);
    expect(useColor(undefined, tty, { NO_COLOR: '' })).toBe(true);
    expect(useColor('auto', tty, { NO_COLOR: '1' })).toBe(false);
    expect(useColor('auto', pipe, {})).toBe(false);
  });
  it('always wins over NO_COLOR and a pipe; never and --no-color (false) never colour', () => {
    expect(useColor('always', pipe, { NO_COLOR: '1' })).toBe(true);
    expect(useColor('never', tty, {})).toBe(false);
    expect(useColor(false, tty, {})).toBe(false);
  });
});
