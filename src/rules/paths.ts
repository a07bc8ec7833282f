/** Path helpers shared by the loader rules. */

/** dyld writes an in-memory image to `$TMPDIR/NSCreateObjectFileImageFromMemory-XXXXXXXX` (docs/platforms/macos.md §1). */
export const DYLD_MEMORY_TEMP_PREFIX = 'NSCreateObjectFileImageFromMemory-';

/** Last path component. */
export function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** The temp file dyld writes for NSLinkModule. */
export function isDyldMemoryTemp(path: string): boolean {
  return basename(path).startsWith(DYLD_MEMORY_TEMP_PREFIX);
}

export type Location = 'temp' | 'downloads' | 'hidden';

// World- or user-writable scratch places: a library loaded from them was most
// likely dropped there at run time. /var/folders is $TMPDIR on macOS.
const TEMP_PREFIXES = ['/tmp/', '/private/tmp/', '/var/tmp/', '/private/var/tmp/', '/var/folders/', '/private/var/folders/', '/dev/shm/'];
const DOWNLOADS = /^\/(?:Users|home)\/[^/]+\/Downloads\//;

/** Where a library path lies, if in a user-writable or hidden place; null otherwise. */
export function classifyLocation(path: string): { where: Location; why: string } | null {
  for (const p of TEMP_PREFIXES) {
    if (path.startsWith(p)) return { where: 'temp', why: `under ${p}` };
  }
  if (DOWNLOADS.test(path)) return { where: 'downloads', why: 'in a Downloads folder' };
  for (const c of path.split('/')) {
    if (c.length > 1 && c.startsWith('.') && c !== '..') return { where: 'hidden', why: `hidden path component '${c}'` };
  }
  return null;
}

/** Linux fileless exec: the kernel names an exec'd memfd or fd `/dev/fd/N`, `/proc/…/fd/N` or `/memfd:…`. */
export function isFdExecPath(path: string): boolean {
  return /^\/(?:dev\/fd\/\d+|proc\/(?:self|\d+)\/fd\/\d+|memfd:)/.test(path);
}
