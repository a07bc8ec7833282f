/**
 * Reading and validating baseline files. Every error names the file and the
 * JSON path of the bad value, so a hand-edited baseline is quick to fix.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Os } from '../protocol/flags.ts';
import { BaselineSchema, type Baseline } from './schema.ts';

export interface BaselineIssue {
  /** JSON path such as `entries[3].dlopen.libraries[0]` (empty for the root). */
  readonly path: string;
  readonly message: string;
}

/** A baseline file that cannot be read, parsed or validated. */
export class BaselineError extends Error {
  override readonly name = 'BaselineError';
  constructor(
    readonly source: string,
    readonly issues: readonly BaselineIssue[],
    options?: { cause?: unknown },
  ) {
    super(issues.map((i) => `${source}: ${i.path === '' ? '' : `${i.path}: `}${i.message}`).join('\n'), options);
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** `entries[3].dlopen.libraries[0]` from a path array. */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else if (typeof k === 'string' && /^[A-Za-z_$][\w$]*$/.test(k)) out += out === '' ? k : `.${k}`;
    else out += `[${JSON.stringify(String(k))}]`;
  }
  return out;
}

// JSON.parse makes `__proto__` an own key rather than polluting, but code that
// later copies entries with spread or Object.assign would not be so careful.
// An explicit stack, not recursion: a hostile file nested 100000 deep must end in
// a BaselineError, not a RangeError; paths are rebuilt only for the keys reported.
function findForbiddenKeys(root: unknown, out: BaselineIssue[]): void {
  interface Node {
    readonly value: unknown;
    readonly parent: Node | null;
    readonly key: PropertyKey;
  }
  const pathOf = (n: Node | null, last: PropertyKey): PropertyKey[] => {
    const path: PropertyKey[] = [last];
    for (let x = n; x !== null && x.parent !== null; x = x.parent) path.push(x.key);
    return path.reverse();
  };
  const stack: Node[] = [{ value: root, parent: null, key: '' }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const value = node.value;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], parent: node, key: i });
    } else if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        if (FORBIDDEN_KEYS.has(key)) {
          if (out.length < 100) out.push({ path: formatJsonPath(pathOf(node, key)), message: `forbidden key '${key}'` });
          continue;
        }
        stack.push({ value: (value as Record<string, unknown>)[key], parent: node, key });
      }
    }
  }
}

/** Validate parsed JSON as a baseline; throws BaselineError naming `source` and each bad path. */
export function validateBaseline(data: unknown, source: string): Baseline {
  const forbidden: BaselineIssue[] = [];
  findForbiddenKeys(data, forbidden);
  if (forbidden.length > 0) throw new BaselineError(source, forbidden);
  const r = BaselineSchema.safeParse(data);
  if (!r.success) {
    throw new BaselineError(
      source,
      r.error.issues.map((i) => ({ path: formatJsonPath(i.path), message: i.message.replace(/^Invalid input: /, '') })),
      { cause: r.error },
    );
  }
  return r.data;
}

/** Parse baseline JSON text; throws BaselineError on bad JSON or bad content. */
export function parseBaseline(text: string, source: string): Baseline {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new BaselineError(source, [{ path: '', message: `invalid JSON: ${(err as Error).message}` }], { cause: err });
  }
  return validateBaseline(data, source);
}

/** Read and validate a baseline file; throws BaselineError naming the file and the bad entry. */
export function loadBaseline(file: string): Baseline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BaselineError(file, [{ path: '', message: `cannot read: ${(err as Error).message}` }], { cause: err });
  }
  return parseBaseline(text, file);
}

/** Path of the baseline shipped for an OS (`baselines/<os>-default.json` in the package). */
export function defaultBaselinePath(os: Os): string {
  const name = os === 'darwin' ? 'macos-default.json' : 'linux-default.json';
  return fileURLToPath(new URL(`../../baselines/${name}`, import.meta.url));
}

/** Load the baseline shipped for an OS. */
export function loadDefaultBaseline(os: Os): Baseline {
  return loadBaseline(defaultBaselinePath(os));
}
