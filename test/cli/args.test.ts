import { describe, expect, it } from 'vitest';
import { splitCommand, targetFromFlags } from '../../src/cli/args.ts';
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

describe('targetFromFlags (the target of generate and capture, built one way)', () => {
  const usage = (fn: () => unknown, message: RegExp) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(EXIT.usage);
      expect((err as Error).message).toMatch(message);
      return;
    }
    throw new Error('no error thrown');
  };

  it('one flag gives one target; none gives every process', () => {
    expect(targetFromFlags({ pid: 42 }, { mustExist: true })).toEqual({ kind: 'pid', pid: 42 });
    expect(targetFromFlags({ name: 'Safari' }, { mustExist: false })).toEqual({ kind: 'name', name: 'Safari' });
    expect(targetFromFlags({}, { argv: [], mustExist: true })).toEqual({ kind: 'all' });
    expect(targetFromFlags({}, { argv: null, mustExist: true })).toEqual({ kind: 'all' });
  });

  it('-c and the words after -- name the same program, by its absolute path', () => {
    const viaC = targetFromFlags({ command: "sh -c 'echo hi'" }, { argv: null, mustExist: true });
    const viaArgv = targetFromFlags({}, { argv: ['sh', '-c', 'echo hi'], mustExist: true });
    expect(viaC).toEqual(viaArgv);
    expect(viaC.kind === 'command' && viaC.command[0]!.startsWith('/')).toBe(true);
    expect(targetFromFlags({ command: "sh -c 'echo hi'" }, { mustExist: false })).toEqual(viaC);
  });

  it('a command missing here: capture refuses it, generate keeps it as written', () => {
    const missing = 'no-such-command-anywhere --flag';
    try {
      targetFromFlags({ command: missing }, { argv: null, mustExist: true });
      throw new Error('no error thrown');
    } catch (err) {
      expect((err as CliError).exitCode).toBe(EXIT.commandNotFound);
      expect((err as Error).message).toMatch(/command not found: no-such-command-anywhere/);
    }
    expect(targetFromFlags({ command: missing }, { mustExist: false })).toEqual({ kind: 'command', command: ['no-such-command-anywhere', '--flag'] });
  });

  it('two targets, or an empty -c, are usage errors with the same words for both commands', () => {
    usage(() => targetFromFlags({ pid: 1, name: 'x' }, { mustExist: false }), /^choose one target: -p PID, -c CMD, or -n NAME$/);
    usage(() => targetFromFlags({ pid: 1 }, { argv: ['ls'], mustExist: true }), /^choose one target: -p PID, -c CMD \(or -- CMD ARGS…\), or -n NAME$/);
    usage(() => targetFromFlags({ command: '  ' }, { mustExist: false }), /^-c: empty command$/);
    usage(() => targetFromFlags({ command: '' }, { argv: null, mustExist: true }), /^-c: empty command$/);
  });
});
