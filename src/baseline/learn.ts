/**
 * Learning, merging and comparing baselines. Learning turns what clean traces
 * showed, judged against an empty baseline, into expectations: every finding
 * is a behaviour the process showed, so it becomes an expectation of that
 * process (Elastic's new_terms idea: first-seen behaviour per identity,
 * docs/platforms/peers.md). Running the traces is the pipeline's part
 * (pipeline/learn.ts); this file only turns findings into entries.
 */
import type { Os } from '../protocol/flags.ts';
import type { Finding } from '../rules/finding.ts';
import { BEHAVIOURS, BEHAVIOUR_TABLE, FLAG_BEHAVIOURS, LIST_BEHAVIOURS, type Behaviour, type FlagBehaviour, type Judged, type ListBehaviour } from '../rules/types.ts';
import { escapeGlob, isAbsolutePath } from './compile.ts';
import { type Baseline, type BaselineEntry } from './schema.ts';
import { validateBaseline } from './load.ts';

/** What learning needs of one input's report: its findings and what each judged. */
export interface LearnSource {
  readonly findings: readonly Finding[];
  judged(f: Finding): Judged | undefined;
  /** The platform the input's first begin record names, if any. */
  readonly os?: Os | undefined;
}

interface Acc {
  match: BaselineEntry['match'];
  /** Per list behaviour: seen at all, and the subjects seen. */
  lists: Map<ListBehaviour, Set<string>>;
  flags: Set<FlagBehaviour>;
  counts: Partial<Record<Behaviour, number>>;
  first: number;
  last: number;
  inputs: Set<number>;
}

export interface LearnOptions {
  readonly os?: Os;
  /** Start from this baseline: learned entries are merged into it. */
  readonly base?: Baseline;
  /** Text for the `note` of learned entries. */
  readonly note?: string;
  /** Called for each finding not learned, with why (a process started by a relative path). */
  readonly onSkip?: (skip: LearnSkip) => void;
}

/** A finding whose behaviour was not learned. */
export interface LearnSkip {
  readonly input: number;
  readonly finding: Finding;
  readonly reason: string;
}

function isList(b: Behaviour): b is ListBehaviour {
  return BEHAVIOUR_TABLE[b].list !== null;
}

/** A baseline from the findings of clean inputs, one source per input. */
export function baselineFromFindings(sources: readonly LearnSource[], opts: LearnOptions = {}): Baseline {
  const accs = new Map<string, Acc>();
  // The platform the traces name, so a learned baseline says which one it is for.
  let tracedOs: Os | undefined;
  sources.forEach((source, index) => {
    tracedOs ??= source.os;
    for (const f of source.findings) {
      const judged = source.judged(f);
      if (judged === undefined) continue;
      if (f.process.path !== null && !isAbsolutePath(f.process.path)) {
        // `./prog` would vouch for any binary started as ./prog in any directory, and its name for any binary so named.
        opts.onSkip?.({
          input: index,
          finding: f,
          reason: `process ${f.process.name} (pid ${f.process.pid}) was started by the relative path ${f.process.path}: which file ran is unknown, so nothing it did is learned`,
        });
        continue;
      }
      const match: BaselineEntry['match'] = f.process.path !== null ? { path: escapeGlob(f.process.path) } : { name: escapeGlob(f.process.name) };
      const k = JSON.stringify(match);
      let a = accs.get(k);
      if (a === undefined) {
        a = { match, lists: new Map(), flags: new Set(), counts: {}, first: f.firstSeen, last: f.lastSeen, inputs: new Set() };
        accs.set(k, a);
      }
      a.inputs.add(index);
      a.first = Math.min(a.first, f.firstSeen);
      a.last = Math.max(a.last, f.lastSeen);
      const b = judged.behaviour;
      a.counts[b] = (a.counts[b] ?? 0) + f.count;
      if (isList(b)) {
        let subjects = a.lists.get(b);
        if (subjects === undefined) a.lists.set(b, (subjects = new Set()));
        const subject = judged.subject?.[BEHAVIOUR_TABLE[b].subject];
        if (subject !== undefined) subjects.add(escapeGlob(subject));
      } else {
        a.flags.add(b);
      }
    }
  });
  const entries: BaselineEntry[] = [];
  for (const a of accs.values()) {
    const e: BaselineEntry = { match: a.match, note: opts.note ?? 'learned from clean captures' };
    for (const b of LIST_BEHAVIOURS) {
      const subjects = a.lists.get(b);
      if (subjects !== undefined) e[b] = { allowed: true, [BEHAVIOUR_TABLE[b].list]: [...subjects].sort() };
    }
    for (const b of FLAG_BEHAVIOURS) if (a.flags.has(b)) e[b] = true;
    e.learned = { counts: a.counts, firstSeen: new Date(a.first).toISOString(), lastSeen: new Date(a.last).toISOString(), inputs: a.inputs.size };
    entries.push(e);
  }
  entries.sort((x, y) => JSON.stringify(x.match).localeCompare(JSON.stringify(y.match)));
  const os = opts.os ?? tracedOs;
  const learned: Baseline = { version: 1, ...(os !== undefined ? { os } : {}), entries };
  return validateBaseline(opts.base !== undefined ? mergeBaselines(opts.base, learned) : learned, 'learned baseline');
}

/** A list behaviour's baseline key: allowed, and the subjects allowed (any when absent). */
type ListKey = { readonly allowed: boolean } & { readonly [list: string]: readonly string[] | undefined };

function unionList(a: readonly string[] | undefined, b: readonly string[] | undefined): readonly string[] | undefined {
  // No list means "any": the union with "any" is "any".
  if (a === undefined || b === undefined) return undefined;
  return [...new Set([...a, ...b])].sort();
}

function mergeEntry(a: BaselineEntry, b: BaselineEntry): BaselineEntry {
  const out: BaselineEntry = { ...a, match: a.match, note: a.note === b.note ? a.note : `${a.note}; ${b.note}` };
  for (const k of LIST_BEHAVIOURS) {
    const x = a[k] as ListKey | undefined;
    const y = b[k] as ListKey | undefined;
    if (x === undefined && y === undefined) continue;
    const list = BEHAVIOUR_TABLE[k].list;
    const allowed = (x?.allowed ?? false) || (y?.allowed ?? false);
    const subjects = x?.allowed && y?.allowed ? unionList(x[list], y[list]) : x?.allowed ? x[list] : y?.[list];
    (out as Record<string, unknown>)[k] = subjects === undefined ? { allowed } : { allowed, [list]: subjects };
  }
  for (const k of FLAG_BEHAVIOURS) {
    if (a[k] !== undefined || b[k] !== undefined) out[k] = (a[k] ?? false) || (b[k] ?? false);
  }
  if (a.learned !== undefined && b.learned !== undefined) {
    const counts: Record<string, number> = { ...a.learned.counts };
    for (const [k, v] of Object.entries(b.learned.counts)) counts[k] = (counts[k] ?? 0) + (v ?? 0);
    out.learned = {
      counts,
      firstSeen: a.learned.firstSeen < b.learned.firstSeen ? a.learned.firstSeen : b.learned.firstSeen,
      lastSeen: a.learned.lastSeen > b.learned.lastSeen ? a.learned.lastSeen : b.learned.lastSeen,
      inputs: (a.learned.inputs ?? 0) + (b.learned.inputs ?? 0),
    };
  } else if (b.learned !== undefined) {
    out.learned = b.learned;
  }
  if (a.exceptions !== undefined || b.exceptions !== undefined) out.exceptions = [...(a.exceptions ?? []), ...(b.exceptions ?? [])];
  if (a.id === undefined && b.id !== undefined) out.id = b.id;
  return out;
}

/** Key of an entry's identity: entries with the same `match` are the same process. */
export function entryKey(e: BaselineEntry): string {
  const m = e.match;
  return JSON.stringify([m.path ?? null, m.name ?? null, m.teamId ?? null, m.signingId ?? null]);
}

/** Merge b into a: same-identity entries combine (union of what is allowed), others are appended. */
export function mergeBaselines(a: Baseline, b: Baseline): Baseline {
  const entries = [...a.entries];
  const at = new Map(entries.map((e, i) => [entryKey(e), i]));
  for (const e of b.entries) {
    const i = at.get(entryKey(e));
    if (i === undefined) {
      at.set(entryKey(e), entries.length);
      entries.push(e);
    } else {
      entries[i] = mergeEntry(entries[i]!, e);
    }
  }
  const out: Baseline = { version: 1, entries };
  const description = a.description ?? b.description;
  if (description !== undefined) out.description = description;
  if (a.os !== undefined || b.os !== undefined) out.os = a.os === b.os || b.os === undefined ? a.os! : a.os === undefined ? b.os : 'any';
  if (a.exceptions !== undefined || b.exceptions !== undefined) out.exceptions = [...(a.exceptions ?? []), ...(b.exceptions ?? [])];
  return out;
}

export interface EntryChange {
  readonly key: string;
  readonly label: string;
  /** Changed top-level fields with their values before and after. */
  readonly fields: readonly { field: string; before: unknown; after: unknown }[];
}

export interface BaselineDiff {
  readonly added: readonly BaselineEntry[];
  readonly removed: readonly BaselineEntry[];
  readonly changed: readonly EntryChange[];
}

const COMPARED = [...BEHAVIOURS, 'exceptions', 'note'] as const;

/** What an entry matches, as `path=… name=…`. */
function matchText(e: BaselineEntry): string {
  const m = e.match;
  return [m.path && `path=${m.path}`, m.name && `name=${m.name}`, m.teamId && `teamId=${m.teamId}`, m.signingId && `signingId=${m.signingId}`].filter(Boolean).join(' ');
}

function label(e: BaselineEntry): string {
  return e.id ?? matchText(e);
}

/** Compare two baselines entry by entry (entries are matched by their `match`); `learned` stats are ignored. */
export function diffBaselines(a: Baseline, b: Baseline): BaselineDiff {
  const am = new Map(a.entries.map((e) => [entryKey(e), e]));
  const bm = new Map(b.entries.map((e) => [entryKey(e), e]));
  const added = b.entries.filter((e) => !am.has(entryKey(e)));
  const removed = a.entries.filter((e) => !bm.has(entryKey(e)));
  const changed: EntryChange[] = [];
  for (const [k, ea] of am) {
    const eb = bm.get(k);
    if (eb === undefined) continue;
    const fields = COMPARED.filter((f) => JSON.stringify(ea[f]) !== JSON.stringify(eb[f])).map((f) => ({ field: f, before: ea[f], after: eb[f] }));
    if (fields.length > 0) changed.push({ key: k, label: label(ea), fields });
  }
  return { added, removed, changed };
}

/** The diff as text lines: `+` added, `-` removed, `~` changed. Empty when the baselines agree. */
export function formatDiff(d: BaselineDiff): string {
  const lines: string[] = [];
  for (const e of d.added) lines.push(`+ ${label(e)}`);
  for (const e of d.removed) lines.push(`- ${label(e)}`);
  for (const c of d.changed) {
    lines.push(`~ ${c.label}`);
    for (const f of c.fields) lines.push(`    ${f.field}: ${JSON.stringify(f.before) ?? '(absent)'} -> ${JSON.stringify(f.after) ?? '(absent)'}`);
  }
  return lines.join('\n');
}

/** A readable listing of a baseline's entries. */
export function formatBaseline(b: Baseline): string {
  const lines = [`baseline version ${b.version}${b.os ? ` (${b.os})` : ''}: ${b.entries.length} entries${b.description ? ` — ${b.description}` : ''}`];
  b.entries.forEach((e, i) => {
    const allowed: string[] = [];
    for (const k of LIST_BEHAVIOURS) {
      const v = e[k] as ListKey | undefined;
      const subjects = v?.[BEHAVIOUR_TABLE[k].list];
      if (v?.allowed) allowed.push(subjects ? `${k}[${subjects.length}]` : k);
    }
    for (const k of FLAG_BEHAVIOURS) if (e[k]) allowed.push(k);
    if (e.exceptions?.length) allowed.push(`exceptions[${e.exceptions.length}]`);
    lines.push(`${String(i).padStart(3)}  ${e.id !== undefined ? `${e.id}  ` : ''}match ${matchText(e)}`);
    lines.push(`     expects: ${allowed.join(', ') || 'nothing'}`);
    lines.push(`     note: ${e.note}`);
  });
  return lines.join('\n');
}
