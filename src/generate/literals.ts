/**
 * The only way user-supplied text enters a script: as a quoted string literal, with
 * quotes and backslashes escaped, bytes outside printable ASCII written as octal
 * escapes (both D and bpftrace read `\ooo`), and control characters refused. Refusing
 * is clearer than escaping a newline into a process name nobody can have typed. `*` and
 * `/` are written as octal too, so no comment delimiter can appear in a script even
 * under a preprocessor that does not know string literals.
 */
import { GenerateError } from './errors.ts';

/** Refuse control characters (C0, DEL) with a message naming what and where. */
export function assertNoControl(what: string, value: string): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      const shown = c === 0 ? 'NUL' : c === 0x0a ? 'newline' : c === 0x0d ? 'carriage return' : c === 0x09 ? 'tab' : `0x${c.toString(16).padStart(2, '0')}`;
      throw new GenerateError(`${what} contains a control character (${shown}) at offset ${i}: refused, it cannot be matched safely`);
    }
  }
}

/** A D or bpftrace string literal, quotes included, for a value already free of control characters. */
export function stringLiteral(what: string, value: string): string {
  assertNoControl(what, value);
  let out = '"';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte <= 0x7e && byte !== 0x2a && byte !== 0x2f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** A decimal integer literal, after checking it is a safe integer. */
export function intLiteral(what: string, value: number): string {
  if (!Number.isSafeInteger(value)) throw new GenerateError(`${what} must be an integer, got ${String(value)}`);
  return String(value);
}
