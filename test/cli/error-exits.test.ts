import { describe, expect, it } from 'vitest';
import { BaselineError } from '../../src/baseline/load.ts';
import { CaptureError } from '../../src/capture/errors.ts';
import { exitCodeOf } from '../../src/cli/error-exits.ts';
import { CliError } from '../../src/cli/exit.ts';
import { EXIT } from '../../src/exit-codes.ts';
import { GenerateError } from '../../src/generate/errors.ts';
import { ParserOptionsError } from '../../src/parse/options.ts';
import { CaptureDirError } from '../../src/pipeline/capture-dir.ts';
import { InputError } from '../../src/pipeline/input.ts';

describe('the exit code of each error class that reaches the top of a command', () => {
  it('library errors about what the user gave are usage errors (2)', () => {
    expect(exitCodeOf(new InputError('x'))).toBe(EXIT.usage);
    expect(exitCodeOf(new CaptureDirError('x'))).toBe(EXIT.usage);
    expect(exitCodeOf(new BaselineError('b.json', [{ path: '', message: 'bad' }]))).toBe(EXIT.usage);
    expect(exitCodeOf(new GenerateError('x'))).toBe(EXIT.usage);
    expect(exitCodeOf(new ParserOptionsError('x'))).toBe(EXIT.usage);
  });

  it('a capture error and a command-line error end with the code they carry', () => {
    expect(exitCodeOf(new CaptureError('x', EXIT.tracerRefused))).toBe(3);
    expect(exitCodeOf(new CaptureError('x', EXIT.io))).toBe(6);
    expect(exitCodeOf(new CliError('x', EXIT.commandNotFound))).toBe(127);
    expect(exitCodeOf(new CliError('x'))).toBe(EXIT.usage);
  });

  it('anything else is an internal error (70), whatever exitCode it claims', () => {
    expect(exitCodeOf(new Error('x'))).toBe(EXIT.error);
    expect(exitCodeOf(Object.assign(new Error('x'), { exitCode: 0 }))).toBe(EXIT.error);
    expect(exitCodeOf('a string')).toBe(EXIT.error);
  });
});
