/**
 * Option parsers for commander, shared by every command: a bad value is a
 * usage error (exit 2) that names the option and quotes what was given.
 */
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
