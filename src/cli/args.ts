/**
 * Option parsers for commander, shared by every command: a bad value is a
 * usage error (exit 2) that names the option and quotes what was given.
 */
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import type { Target } from '../generate/options.ts';
import { CliError, EXIT } from './exit.ts';

/** Any integer, negative ones included. */
export const integer = (name: string) => (v: string): number => {
  if (!/^-?\d+$/.test(v)) throw new CliError(`${name} must be an integer, got "${v}"`, EXIT.usage);
  return Number(v);
};

/** An integer above 0. */
export const positiveInt = (name: string) => (v: string): number => {
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new CliError(`${name}: expected a positive integer, got "${v}"`, EXIT.usage);
  return Number(v);
};

/** An integer of 0 or more. */
export const nonNegativeInt = (name: string) => (v: string): number => {
  if (!/^\d+$/.test(v)) throw new CliError(`${name}: expected a non-negative integer, got "${v}"`, EXIT.usage);
  return Number(v);
};

/**
 * Splits a command line like a POSIX shell does for words: whitespace separates, '…' is literal,
 * "…" allows \" \\ \$ \`, a backslash outside quotes escapes the next character. No expansion.
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new CliError(`-c: unbalanced ' in ${JSON.stringify(text)}`, EXIT.usage);
      cur += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new CliError(`-c: unbalanced " in ${JSON.stringify(text)}`, EXIT.usage);
        const d = text[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) {
          cur += text[i + 1];
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new CliError(`-c: trailing backslash in ${JSON.stringify(text)}`, EXIT.usage);
      cur += text[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/**
 * The absolute, symlink-free path of a command word, found as a shell finds it: itself when it
 * holds a slash (relative to cwd), else the first executable file of that name on PATH. The
 * tracer gets this path: bpftrace refuses a bare name that matches two files (`/bin/ls` and
 * `/usr/bin/ls` where /bin links to /usr/bin), and a missing command would only show as the
 * tracer dying. Throws a CliError with EXIT.commandNotFound.
 */
export function resolveCommandPath(word: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const candidates = word.includes('/') ? [resolve(cwd, word)] : (env.PATH ?? '').split(delimiter).filter((d) => d !== '').map((d) => resolve(cwd, join(d, word)));
  let reason = word.includes('/') ? 'no such file' : `not found on PATH (${env.PATH ?? ''})`;
  for (const path of candidates) {
    try {
      if (!statSync(path).isFile()) {
        reason = `${path} is not a regular file`;
        continue;
      }
      accessSync(path, constants.X_OK);
      return realpathSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES') reason = `${path} is not executable`;
    }
  }
  throw new CliError(`command not found: ${word}: ${reason}`, EXIT.commandNotFound);
}

/** The target flags every command that names one shares. */
export interface TargetFlags {
  pid?: number;
  command?: string;
  name?: string;
}

/**
 * The one target a command line names: -p PID, -c CMD (or, for capture, the words after --),
 * -n NAME, or nothing for every process. Capture runs the command here, so it must be found
 * (`mustExist`); a generated script may be meant for another machine, so generate keeps a
 * command it cannot find as written. Both split -c as a shell would, so one command line means
 * the same program in both.
 */
export function targetFromFlags(flags: TargetFlags, opts: { readonly argv?: readonly string[] | null; readonly mustExist: boolean }): Target {
  const argv = opts.argv ?? null;
  const given = [flags.pid !== undefined, flags.command !== undefined, flags.name !== undefined, argv !== null && argv.length > 0].filter(Boolean).length;
  if (given > 1) throw new CliError(`choose one target: -p PID, -c CMD${opts.argv === undefined ? '' : ' (or -- CMD ARGS…)'}, or -n NAME`, EXIT.usage);
  if (flags.pid !== undefined) return { kind: 'pid', pid: flags.pid };
  if (flags.name !== undefined) return { kind: 'name', name: flags.name };
  let words: readonly string[] | null = argv !== null && argv.length > 0 ? argv : null;
  if (flags.command !== undefined) {
    words = splitCommand(flags.command);
    if (words.length === 0) throw new CliError('-c: empty command', EXIT.usage);
  }
  if (words === null) return { kind: 'all' };
  return { kind: 'command', command: [commandPath(words[0]!, opts.mustExist), ...words.slice(1)] };
}

// The absolute path makes the printed `run:` line work as printed (bpftrace refuses a bare name
// that matches two files); a command that is not here may still be on the machine the script is for.
function commandPath(word: string, mustExist: boolean): string {
  if (mustExist) return resolveCommandPath(word);
  try {
    return resolveCommandPath(word);
  } catch {
    return word;
  }
}
