import { decodeMapFlags, PROT_EXEC, protString } from '../protocol/flags.ts';
import { MAP_FAILED } from '../protocol/flags.ts';
import { isDyldMemoryTemp, isFdExecPath } from './paths.ts';
import { hex, u64, type Rule, type RuleMeta } from './types.ts';

/** Executable-image magics as the first 4 bytes appear in memory (hex, both byte orders). */
export const IMAGE_MAGICS: Readonly<Record<string, string>> = {
  feedface: 'Mach-O 32-bit (big-endian MH_MAGIC)',
  cefaedfe: 'Mach-O 32-bit (MH_MAGIC)',
  feedfacf: 'Mach-O 64-bit (big-endian MH_MAGIC_64)',
  cffaedfe: 'Mach-O 64-bit (MH_MAGIC_64)',
  cafebabe: 'Mach-O universal (FAT_MAGIC)',
  bebafeca: 'Mach-O universal (FAT_MAGIC, swapped)',
  cafebabf: 'Mach-O universal (FAT_MAGIC_64)',
  bfbafeca: 'Mach-O universal (FAT_MAGIC_64, swapped)',
  '7f454c46': 'ELF',
};

/** Name of the image format whose magic starts `data` (hex), or null. */
export function imageMagic(data: string): string | null {
  return data.length >= 8 ? (IMAGE_MAGICS[data.slice(0, 8)] ?? null) : null;
}

export const meta: RuleMeta = {
  id: 'LT-003',
  name: 'memory-image-load',
  title: 'Executable image loaded from memory',
  description:
    'An image loaded without a file of its own: NSCreateObjectFileImageFromMemory/NSLinkModule calls (memload); a dlopen of dyld\'s ' +
    'temp file NSCreateObjectFileImageFromMemory-XXXXXXXX (docs/platforms/macos.md §1); Mach-O (feedface/feedfacf/cafebabe, either ' +
    'byte order) or ELF (7f454c46) magic in the first bytes of anonymous memory made executable; an executable mapping of a memfd, or an ' +
    'exec of a memfd or /dev/fd/N (Linux fileless execution). Memory whose origin is unknown (mapped before tracing began) is reported at medium.',
  tuning:
    'Set `memload: true` on the baseline entry of a process that legitimately loads images from memory (some plug-in hosts and ' +
    'packers\' own test harnesses). There is no per-library allow-list: the image has no path.',
  severity: 'high',
  attack: ['T1620', 'T1129', 'T1027.011'],
  maturity: 'stable',
  kinds: ['memload', 'dlopen', 'bytes', 'mmap', 'exec'],
  behaviours: ['memload'],
};

export const rule: Rule = {
  ...meta,
  match(e, ctx) {
    switch (e.kind) {
      case 'memload': {
        const verdict = ctx.expect(meta, 'memload');
        if (verdict.expected) return null;
        return [
          {
            key: `${e.fn}@${e.addr}`,
            severity: 'high',
            summary: `${e.fn}(${e.addr}${e.size !== '0x0' ? `, ${Number.parseInt(e.size.slice(2), 16)} bytes` : ''})`,
            verdict,
            behaviour: 'memload',
            detail: { fn: e.fn, addr: e.addr, size: e.size, moduleName: e.name, ret: e.ret },
          },
        ];
      }
      case 'dlopen': {
        if (e.path === null || !isDyldMemoryTemp(e.path)) return null;
        const verdict = ctx.expect(meta, 'memload');
        if (verdict.expected) return null;
        return [
          {
            key: e.path,
            severity: 'high',
            summary: `dlopen of dyld's in-memory image temp file ${e.path}`,
            verdict,
            behaviour: 'memload',
            detail: { path: e.path, handle: e.handle },
          },
        ];
      }
      case 'bytes': {
        const magic = imageMagic(e.data);
        if (magic === null) return null;
        const addr = u64(e.addr);
        const region = Number.isNaN(addr) ? null : ctx.region(addr);
        // A file-backed mapping of a dylib or ELF starts with its header: that is normal.
        if (region !== null && region.anon === false && !region.memfd) return null;
        const verdict = ctx.expect(meta, 'memload');
        if (verdict.expected) return null;
        const known = region !== null && (region.anon === true || region.memfd);
        return [
          {
            key: region !== null ? hex(region.start) : e.addr,
            severity: known ? 'high' : 'medium',
            summary: `${magic} header in ${known ? (region!.memfd ? 'memfd-backed' : 'anonymous') : 'unknown-origin'} memory made executable at ${e.addr}`,
            verdict,
            behaviour: 'memload',
            region,
            detail: {
              magic,
              addr: e.addr,
              bytes: e.data,
              note: known ? null : 'the trace never saw this memory mapped, so whether it is anonymous is not known',
            },
          },
        ];
      }
      case 'mmap': {
        if (!(e.prot & PROT_EXEC) || e.ret === MAP_FAILED || e.fd < 0) return null;
        const name = ctx.memfdName(e.fd);
        if (name === null) return null;
        const verdict = ctx.expect(meta, 'memload');
        if (verdict.expected) return null;
        return [
          {
            key: e.ret,
            severity: 'high',
            summary: `executable mapping (${protString(e.prot)}) of memfd "${name}" at ${e.ret}`,
            verdict,
            behaviour: 'memload',
            region: ctx.change?.region ?? null,
            detail: { memfd: name, fd: e.fd, addr: e.ret, len: e.len, prot: protString(e.prot), flags: decodeMapFlags(e.flags, ctx.os) },
          },
        ];
      }
      case 'exec': {
        if (!isFdExecPath(e.path)) return null;
        const verdict = ctx.expect(meta, 'memload');
        if (verdict.expected) return null;
        return [
          {
            key: e.path,
            severity: 'high',
            summary: `exec of a file descriptor or memfd (${e.path}): fileless execution`,
            verdict,
            behaviour: 'memload',
            detail: { path: e.path },
          },
        ];
      }
      default:
        return null;
    }
  },
};
