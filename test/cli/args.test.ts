import { describe, expect, it } from 'vitest';
import { splitCommand } from '../../src/cli/args.ts';
import { CliError, EXIT } from '../../src/cli/exit.ts';

describe('splitCommand (-c of generate and capture)', () => {
  it.each([
    ['./prog a  b', ['./prog', 'a', 'b']],
    ['  ./prog\t"a b"  ', ['./prog', 'a b']],
    [`./prog 'a "b" $c' "d \\"e\\" \\$f \\q"`, ['./prog', 'a "b" $c', 'd "e" $f \\q']],
    ['./prog a\\ b \\\'c', ['./prog', 'a b', "'c"]],
    [`./prog '' ""`, ['./prog', '', '']],
    ['x"y"\'z\'', ['xyz']],
  ])('%s', (text, words) => {
    expect(splitCommand(text)).toEqual(words);
  });

  it.each([`./prog 'a`, './prog "a', './prog a\\'])('%s is a usage error', (text) => {
    let err: unknown;
    try {
      splitCommand(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT.usage);
    expect((err as Error).message).toMatch(/^-c: (unbalanced|trailing backslash)/);
  });
});
