/**
 * A baseline compiled for the hot path: globs become matcher functions once,
 * and a process is matched against the entries once per image (the engine
 * caches the result), so judging an event costs a few function calls.
 */
import picomatch from 'picomatch';
import { BEHAVIOUR_TABLE, type Behaviour, type ExpectOptions, type RuleMeta, type Subject, type Verdict } from '../rules/types.ts';
import type { Baseline, BaselineEntry, BaselineException, ExceptionComp, ExceptionField } from './schema.ts';

type Matcher = (s: string) => boolean;

const GLOB_OPTS = { dot: true } as const;
const GLOB_CHARS = /[*?[\]{}()!+@\\]/;

/** Identity of a process as the baseline sees it. */
export interface ProcessIdentity {
  readonly name: string;
  readonly path: string | null;
  /** Parent's name, when the trace knows the parent. */
  readonly pname: string | null;
}

interface CompiledException {
  readonly name: string;
  readonly owner: string;
  test(values: ExceptionValues): boolean;
}

interface ExceptionValues {
  readonly rule: RuleMeta;
  readonly proc: ProcessIdentity;
  readonly subject: Subject | undefined;
}

export interface CompiledEntry {
  readonly index: number;
  /** `id` or `entries[i]`. */
  readonly label: string;
  /** `path=…, name=…` for reasons. */
  readonly matchText: string;
  readonly entry: BaselineEntry;
  matches(p: ProcessIdentity): boolean;
  readonly libraries: Matcher | null;
  readonly symbols: Matcher | null;
  readonly exceptions: readonly CompiledException[];
}


export interface CompiledBaseline {
  readonly baseline: Baseline;
  readonly entries: readonly CompiledEntry[];
  /** Entries whose `match` fits the process. */
  matchProcess(p: ProcessIdentity): CompiledEntry[];
  /** The verdict for one behaviour of a process whose matching entries are `matched`. */
  verdict(
    matched: readonly CompiledEntry[],
    proc: ProcessIdentity,
    rule: RuleMeta,
    behaviour: Behaviour,
    subject?: Subject,
    opts?: ExpectOptions,
  ): Verdict;
}

function globMatcher(patterns: readonly string[]): Matcher {
  const ms = patterns.map((p) => (GLOB_CHARS.test(p) ? picomatch(p, GLOB_OPTS) : (s: string) => s === p));
  if (ms.length === 0) return () => false;
  return ms.length === 1 ? ms[0]! : (s) => ms.some((m) => m(s));
}

/**
 * A dlopen argument without a `/` is a bare soname: the loader resolves it through its search path (RUNPATH,
 * LD_LIBRARY_PATH, the cache, the default directories), and the record carries only the requested string. Path globs
 * cannot vouch for where it resolved, so a bare soname is judged by the globs without a `/` (`libm.so.*`), and those
 * globs never match a path: `libm.so.*` does not allow `/tmp/libm.so.6`.
 */
function libraryMatcher(patterns: readonly string[]): Matcher {
  const paths = globMatcher(patterns.filter((p) => p.includes('/')));
  const sonames = globMatcher(patterns.filter((p) => !p.includes('/')));
  return (lib) => (lib.includes('/') ? paths(lib) : sonames(lib));
}

/** A path that names one file wherever the process runs; `./prog` names a different file in every directory. */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/');
}

/** Last component of a path. */
function lastComponent(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function nameMatcher(pattern: string): Matcher {
  if (GLOB_CHARS.test(pattern)) return picomatch(pattern, GLOB_OPTS);
  // The kernel keeps a short name (Linux comm: 15 characters; macOS p_comm: 16): a
  // truncated name that is a prefix of the entry's name still matches.
  return (s) => s === pattern || (s.length >= 15 && pattern.startsWith(s));
}

function fieldValue(field: ExceptionField, v: ExceptionValues): string | null | [string, string] {
  switch (field) {
    case 'rule':
      return [v.rule.id, v.rule.name];
    case 'proc.name':
      return v.proc.name;
    case 'proc.path':
      return v.proc.path;
    case 'proc.pname':
      return v.proc.pname;
    case 'lib.path':
      return v.subject?.['lib.path'] ?? null;
    case 'sym.name':
      return v.subject?.['sym.name'] ?? null;
  }
}

function compTest(comp: ExceptionComp, value: string | string[]): Matcher {
  switch (comp) {
    case '=':
      return (s) => s === value;
    case '!=':
      return (s) => s !== value;
    case 'in': {
      const set = new Set(value as string[]);
      return (s) => set.has(s);
    }
    case 'glob':
      return picomatch(value as string, GLOB_OPTS);
    case 'startswith':
      return (s) => s.startsWith(value as string);
    case 'endswith':
      return (s) => s.endsWith(value as string);
    case 'contains':
      return (s) => s.includes(value as string);
  }
}

function compileException(ex: BaselineException, owner: string): CompiledException {
  const rows = ex.values.map((row) =>
    row.map((value, k) => ({ field: ex.fields[k]!, test: compTest(ex.comps?.[k] ?? '=', value) })),
  );
  return {
    name: ex.name,
    owner,
    test(v) {
      return rows.some((row) =>
        row.every(({ field, test }) => {
          const x = fieldValue(field, v);
          if (x === null) return false;
          return Array.isArray(x) ? x.some(test) : test(x);
        }),
      );
    },
  };
}

function describeMatch(e: BaselineEntry): string {
  const m = e.match;
  const parts: string[] = [];
  if (m.path !== undefined) parts.push(`path=${m.path}`);
  if (m.name !== undefined) parts.push(`name=${m.name}`);
  if (m.teamId !== undefined) parts.push(`teamId=${m.teamId}`);
  if (m.signingId !== undefined) parts.push(`signingId=${m.signingId}`);
  return parts.join(', ');
}

function compileEntry(e: BaselineEntry, index: number): CompiledEntry {
  const label = e.id ?? `entries[${index}]`;
  const path = e.match.path !== undefined ? globMatcher([e.match.path]) : null;
  const name = e.match.name !== undefined ? nameMatcher(e.match.name) : null;
  // teamId/signingId are not in the trace yet: an entry that needs them cannot match.
  const signed = e.match.teamId !== undefined || e.match.signingId !== undefined;
  return {
    index,
    label,
    matchText: describeMatch(e),
    entry: e,
    matches(p) {
      if (signed) return false;
      // A relative exec path (`./prog`) does not say which file ran: for `match.path` it is no path at all.
      if (path !== null && (p.path === null || !isAbsolutePath(p.path) || !path(p.path))) return false;
      // A process renamed by prctl(PR_SET_NAME) or process.title keeps the executable its exec record named.
      if (name !== null && !name(p.name) && (p.path === null || !name(lastComponent(p.path)))) return false;
      return true;
    },
    libraries: e.dlopen?.libraries !== undefined ? libraryMatcher(e.dlopen.libraries) : null,
    symbols: e.dlsym?.symbols !== undefined ? globMatcher(e.dlsym.symbols) : null,
    exceptions: (e.exceptions ?? []).map((x) => compileException(x, label)),
  };
}

/** What a verdict calls the behaviour: `dlopen of /x.so` when the question named a subject. */
function what(behaviour: Behaviour, subject: Subject | undefined): string {
  const key = BEHAVIOUR_TABLE[behaviour].subject;
  const named = key !== null ? subject?.[key] : undefined;
  return named !== undefined ? `${behaviour} of ${named}` : BEHAVIOUR_TABLE[behaviour].what;
}

function allows(c: CompiledEntry, behaviour: Behaviour, subject: Subject | undefined, opts: ExpectOptions | undefined): boolean {
  const e = c.entry;
  switch (behaviour) {
    case 'dlopen': {
      if (e.dlopen?.allowed !== true) return false;
      const lib = subject?.['lib.path'];
      if (opts?.explicit) return lib !== undefined && c.libraries !== null && c.libraries(lib);
      return c.libraries === null || lib === undefined || c.libraries(lib);
    }
    case 'dlsym': {
      if (e.dlsym?.allowed !== true) return false;
      const sym = subject?.['sym.name'];
      if (c.symbols === null || sym === undefined) return true;
      // Mach-O symbol tables carry a leading underscore that dlsym callers omit.
      return c.symbols(sym) || c.symbols(sym.startsWith('_') ? sym.slice(1) : `_${sym}`);
    }
    default:
      return e[behaviour] === true;
  }
}

function procText(p: ProcessIdentity): string {
  return p.path !== null ? `${p.name} (${p.path})` : p.name;
}

/** Compile a validated baseline for the engine. */
export function compileBaseline(baseline: Baseline): CompiledBaseline {
  const entries = baseline.entries.map(compileEntry);
  const global = (baseline.exceptions ?? []).map((x) => compileException(x, 'exceptions'));
  return {
    baseline,
    entries,
    matchProcess(p) {
      return entries.filter((e) => e.matches(p));
    },
    verdict(matched, proc, rule, behaviour, subject, opts) {
      const values: ExceptionValues = { rule, proc, subject };
      for (const x of global) {
        if (x.test(values)) return { expected: true, entry: x.owner, reason: `global exception '${x.name}' matches` };
      }
      for (const c of matched) {
        for (const x of c.exceptions) {
          if (x.test(values)) {
            return { expected: true, entry: c.label, reason: `exception '${x.name}' of entry ${c.label} matches` };
          }
        }
      }
      for (const c of matched) {
        if (allows(c, behaviour, subject, opts)) {
          return {
            expected: true,
            entry: c.label,
            reason: `entry ${c.label} (${c.matchText}) allows ${what(behaviour, subject)}${opts?.explicit ? ' from this location' : ''}`,
          };
        }
      }
      if (matched.length === 0) {
        return { expected: false, entry: null, reason: `no baseline entry matches ${procText(proc)}` };
      }
      const labels = matched.map((c) => c.label).join(', ');
      const verb = matched.length === 1 ? 'matches' : 'match';
      const tail = opts?.explicit ? ' (its libraries list does not name this path)' : '';
      return {
        expected: false,
        entry: matched[0]!.label,
        reason: `${labels} ${verb} ${procText(proc)} but ${matched.length === 1 ? 'does not allow' : 'none allows'} ${what(behaviour, subject)}${tail}`,
      };
    },
  };
}

/** Escape a literal path or name so that it is matched exactly as a glob. */
export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]{}()!+@\\]/g, (c) => `\\${c}`);
}
