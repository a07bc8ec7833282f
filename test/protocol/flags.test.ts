/** The flag tables: decoding for people, and the same values in the scripts' constants. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  decodeMapFlags,
  decodeProt,
  decodeRtldMode,
  decodeVmFlags,
  decodeVmProt,
  mmapTraits,
  protString,
  rtldHandleName,
  type Os,
} from '../../src/protocol/flags.ts';

const FRAGMENTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dtrace', 'fragments');

describe('decoding', () => {
  it('names protections, PROT_NONE for 0, and the short rwx form', () => {
    expect(decodeProt(0)).toEqual(['PROT_NONE']);
    expect(decodeProt(7)).toEqual(['PROT_READ', 'PROT_WRITE', 'PROT_EXEC']);
    expect(protString(5)).toBe('r-x');
    expect(protString(0)).toBe('---');
  });

  it('reads MAP_* with each system’s own values, and keeps an unknown bit as hex', () => {
    expect(decodeMapFlags(0x1002, 'darwin')).toEqual(['MAP_PRIVATE', 'MAP_ANON']);
    expect(decodeMapFlags(0x1802, 'darwin')).toEqual(['MAP_PRIVATE', 'MAP_JIT', 'MAP_ANON']);
    // 0x1000 is MAP_EXECUTABLE on Linux, 0x20 its MAP_ANONYMOUS.
    expect(decodeMapFlags(0x1000, 'linux')).toEqual(['MAP_EXECUTABLE']);
    expect(decodeMapFlags(0x22, 'linux')).toEqual(['MAP_PRIVATE', 'MAP_ANONYMOUS']);
    expect(decodeMapFlags(0x3 | 0x20, 'linux')).toEqual(['MAP_SHARED_VALIDATE', 'MAP_ANONYMOUS']);
    expect(decodeMapFlags(0x2 | 0x10000000, 'darwin')).toEqual(['MAP_PRIVATE', '0x10000000']);
    expect(decodeMapFlags(0, 'linux')).toEqual([]);
  });

  it('derives the traits rules use from the system’s bits', () => {
    expect(mmapTraits(0x1802, 'darwin')).toEqual({ anon: true, jit: true, shared: false, fixed: false });
    expect(mmapTraits(0x1802, 'linux')).toEqual({ anon: false, jit: false, shared: false, fixed: false });
    expect(mmapTraits(0x31, 'linux')).toEqual({ anon: true, jit: false, shared: true, fixed: true });
    // MAP_SHARED_VALIDATE is sharing too, but not the MAP_SHARED value.
    expect(mmapTraits(0x3, 'linux').shared).toBe(false);
  });

  it('reads Mach protections and flags: FIXED is the absence of ANYWHERE, the tag is the top byte', () => {
    expect(decodeVmProt(0)).toEqual(['VM_PROT_NONE']);
    expect(decodeVmProt(0x7)).toEqual(['VM_PROT_READ', 'VM_PROT_WRITE', 'VM_PROT_EXECUTE']);
    expect(decodeVmFlags(0x1)).toEqual(['VM_FLAGS_ANYWHERE']);
    expect(decodeVmFlags(0x4000)).toEqual(['VM_FLAGS_FIXED', 'VM_FLAGS_OVERWRITE']);
    expect(decodeVmFlags(0x01000001)).toEqual(['VM_FLAGS_ANYWHERE', 'VM_MAKE_TAG(1)']);
  });

  it('reads dlopen modes and handles per system: RTLD_LOCAL is no bit on Linux', () => {
    expect(decodeRtldMode(0x2 | 0x8, 'darwin')).toEqual(['RTLD_NOW', 'RTLD_GLOBAL']);
    expect(decodeRtldMode(0x2, 'linux')).toEqual(['RTLD_NOW', 'RTLD_LOCAL']);
    expect(decodeRtldMode(0x102, 'linux')).toEqual(['RTLD_NOW', 'RTLD_GLOBAL']);
    expect(rtldHandleName('0xfffffffffffffffe', 'darwin')).toBe('RTLD_DEFAULT');
    expect(rtldHandleName('0x0', 'linux')).toBe('RTLD_DEFAULT');
    expect(rtldHandleName('0x0', 'darwin')).toBeNull();
    expect(rtldHandleName('0x7f0012345000', 'linux')).toBeNull();
  });
});

/** `LT_NAME = value` pairs of a constants fragment, D (`inline int`) or bpftrace (`#define`). */
function constants(file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of readFileSync(join(FRAGMENTS, file), 'utf8').matchAll(/^(?:inline int (LT_\w+) = (0x[0-9a-f]+|\d+);|#define (LT_\w+) (0x[0-9a-f]+|\d+))$/gm)) {
    out.set((m[1] ?? m[3])!, Number(m[2] ?? m[4]));
  }
  return out;
}

// The scripts name the same flags the parser decodes; a value written twice must be the same value.
describe('the scripts’ flag constants agree with the tables', () => {
  const cases: [file: string, os: Os][] = [
    ['consts.d', 'darwin'],
    ['consts.linux.d', 'linux'],
    ['consts.bt', 'linux'],
  ];
  for (const [file, os] of cases) {
    it(`${file} (${os})`, () => {
      const values = constants(file);
      let checked = 0;
      for (const [name, value] of values) {
        const flag = name.slice('LT_'.length);
        let decoded: string[] | null = null;
        if (flag.startsWith('PROT_')) decoded = decodeProt(value);
        else if (flag.startsWith('MAP_')) decoded = value === 0 ? [] : decodeMapFlags(value, os);
        else if (flag.startsWith('VM_PROT_') && flag !== 'VM_PROT_DEFAULT') decoded = decodeVmProt(value);
        if (decoded === null) continue;
        checked++;
        // Linux has no MAP_JIT: the D fragments give it 0 so that every test of it is false.
        if (flag === 'MAP_JIT' && os === 'linux') expect(value, name).toBe(0);
        else expect(decoded, `${file}: ${name} = 0x${value.toString(16)}`).toEqual([flag === 'MAP_ANON' && os === 'linux' ? 'MAP_ANONYMOUS' : flag]);
      }
      expect(checked).toBeGreaterThanOrEqual(4);
      if (values.has('LT_VM_PROT_DEFAULT')) expect(decodeVmProt(values.get('LT_VM_PROT_DEFAULT')!)).toEqual(['VM_PROT_READ', 'VM_PROT_WRITE']);
    });
  }
});
