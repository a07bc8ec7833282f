/**
 * Finds the C library that exports dlopen/dlsym for bpftrace uprobes. glibc 2.34
 * moved them from libdl.so.2 into libc.so.6 (Debian 12 ships 2.36), so libc.so.6 is
 * used when it carries the GLIBC_2.34 version tag, else libdl.so.2.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { GenerateError } from './errors.ts';

const KNOWN = [
  '/lib/x86_64-linux-gnu/libc.so.6',
  '/lib/aarch64-linux-gnu/libc.so.6',
  '/usr/lib/x86_64-linux-gnu/libc.so.6',
  '/usr/lib/aarch64-linux-gnu/libc.so.6',
  '/lib64/libc.so.6',
  '/usr/lib64/libc.so.6',
  '/usr/lib/libc.so.6',
];

function ldconfig(soname: string): string[] {
  let out = '';
  try {
    out = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    try {
      out = execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return [];
    }
  }
  const paths: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\S+) \(([^)]*)\) => (\S+)$/.exec(line);
    if (m && m[1] === soname) {
      // Prefer the native 64-bit entry when several ABIs are installed.
      if (/x86-64|AArch64|64bit/.test(m[2]!)) paths.unshift(m[3]!);
      else paths.push(m[3]!);
    }
  }
  return paths;
}

/** Path of the library whose dlopen/dlsym the bpftrace uprobes attach to. */
export function findLibc(): string {
  const candidates = [...ldconfig('libc.so.6'), ...KNOWN].filter((p, i, a) => a.indexOf(p) === i && existsSync(p));
  const libc = candidates[0];
  if (!libc) throw new GenerateError('no libc.so.6 found (ldconfig -p and known paths); pass the libc option');
  if (readFileSync(libc).includes('GLIBC_2.34')) return libc;
  const libdl = ldconfig('libdl.so.2').find((p) => existsSync(p));
  if (!libdl) throw new GenerateError(`${libc} predates glibc 2.34 and no libdl.so.2 was found; pass the libc option`);
  return libdl;
}
