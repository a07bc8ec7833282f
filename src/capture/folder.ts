/**
 * The capture folder: its default name under captures/, and creating it so that no other
 * capture and no other user shares it.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { EXIT } from '../exit-codes.ts';
import { CaptureError } from './errors.ts';

/**
 * `captures/<tool>-<UTC time to the millisecond>-<random>` under cwd, e.g.
 * captures/an0840-20260105T101500.123Z-3fa9c2: two captures started at the same moment get
 * different folders (the folder is also created exclusively; see createCaptureDir).
 */
export function defaultCaptureDir(cwd: string, tool: string, now: Date, suffix: string = randomBytes(3).toString('hex')): string {
  const ts = now.toISOString().replace(/[-:]/g, '');
  return resolve(cwd, 'captures', `${tool}-${ts}-${suffix}`);
}

/**
 * mkdir -p with mode 0700, without fs.mkdirSync's recursive mode: on a file system that answers
 * ENOENT for a name whose parent exists (procfs, sysfs), Node's recursive mkdir retries forever.
 * Here a parent that exists and a child that still cannot be made is the error. Throws the errno
 * error of the component that failed.
 */
export function makeDirs(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && lstatSync(dir).isDirectory()) return;
    if (code !== 'ENOENT') throw err;
    const parent = dirname(dir);
    if (parent === dir || existsSync(parent)) throw err;
  }
  makeDirs(dirname(dir));
  mkdirSync(dir, { mode: 0o700 });
}

function cannotCreate(flag: string, dir: string, err: unknown): CaptureError {
  return new CaptureError(`${flag}${dir}: cannot create directory: ${(err as Error).message}`, EXIT.io, { cause: err });
}

/** The capture folder named by --out: it must not exist, or be empty. */
export function ensureEmptyDir(dir: string): void {
  if (existsSync(dir)) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch (err) {
      throw new CaptureError(`--out ${dir}: not a readable directory`, EXIT.usage, { cause: err });
    }
    if (entries.length > 0) {
      throw new CaptureError(`--out ${dir}: directory is not empty; a capture needs a fresh directory`, EXIT.usage);
    }
    // The tracer runs the script from here as root: another user who can write the folder
    // could swap the script between its writing and its reading.
    const st = lstatSync(dir);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
      throw new CaptureError(
        `--out ${dir}: must be a directory owned by this user and writable by no one else (the root tracer runs the script kept there)`,
        EXIT.usage,
      );
    }
  }
  try {
    makeDirs(dir);
  } catch (err) {
    throw cannotCreate('--out ', dir, err);
  }
}

/** A new default capture folder, created exclusively: a name another capture took meanwhile is never shared. */
export function createDefaultDir(cwd: string, tool: string, now: Date): string {
  const parent = resolve(cwd, 'captures');
  try {
    makeDirs(parent);
  } catch (err) {
    throw cannotCreate('', parent, err);
  }
  for (let attempt = 0; ; attempt++) {
    const dir = defaultCaptureDir(cwd, tool, now);
    try {
      mkdirSync(dir, { mode: 0o700 });
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 20) throw cannotCreate('', dir, err);
    }
  }
}
