import type { TraceEvent } from '../protocol/registry.ts';
import { detachString } from '../util/detach.ts';
import type { EvidenceEvent, Finding } from './finding.ts';
import { bumpSeverity, severityRank, type ProcessView, type RuleMeta, type Severity } from './types.ts';

/** Defaults of the two numbers that make a combination; the engine's options can change both. */
export const DEFAULT_CORRELATION_WINDOW_MS = 60_000;
export const DEFAULT_CORRELATION_MIN_RULES = 2;

/**
 * Correlation is not an event rule: the engine applies it to findings. A
 * process showing several distinct rules within a time window is far more
 * likely to be loading code reflectively than one showing any one of them.
 */
export const meta: RuleMeta = {
  id: 'LT-100',
  name: 'correlated-activity',
  title: 'Several reflective-loading behaviours in one process',
  description:
    'A combined finding when one process (one image of one pid) shows at least 2 distinct behaviours within 60 s of each other: ' +
    'findings of at least 2 distinct rules, each fired by a call of its own, info findings not counted. Several rules\' views of one ' +
    'call (records printed by one probe firing, same thread and timestamp: e.g. an mprotect and the first bytes it printed) are ' +
    'one behaviour and never combine by themselves. Its severity is one step above the highest member, capped at critical; the ' +
    'member findings stay in the report unchanged, and the combined finding lists them. Its count (the `×N` of the table) is the ' +
    'number of distinct calls of member rules: the ones that made the combination, then each later one while it holds.',
  tuning:
    'Tune the member rules through the baseline. The window (60 s) and the number of behaviours (2) are fixed for `capture` and ' +
    '`replay`; programs using the library set them with the `windowMs` and `limits.correlationMinRules` options of `createEngine` ' +
    'and `createPipeline`.',
  severity: 'high',
  attack: ['T1620'],
  maturity: 'experimental',
  kinds: [],
  behaviours: [],
};

/** Severity of a combined finding from its members' severities. */
export function combinedSeverity(members: readonly Severity[]): Severity {
  let top: Severity = 'info';
  for (const s of members) if (severityRank(s) > severityRank(top)) top = s;
  return bumpSeverity(top);
}

/** One call the engine saw, as rules report it: a thread and the exact timestamp its probe firing printed. */
interface Call {
  readonly id: string;
  readonly t: number;
  /** The finding the rule made or updated on this call. */
  readonly finding: Finding;
}

/** Correlation state of one process. */
export interface CorrelationState {
  /** rule id -> its most recent distinct calls (at most minRules), oldest first. */
  readonly callsByRule: Map<string, Call[]>;
  /** The last call counted into the combined finding, so that several rules' views of it count once. */
  lastCall: string;
}

/** Where combined findings are kept: the engine's finding store. */
export interface CombinedFindingStore {
  get(key: string): Finding | undefined;
  /** False when the store is full and the finding was not kept. */
  add(key: string, f: Finding): boolean;
  evidence(e: TraceEvent): EvidenceEvent;
}

/**
 * Records printed by one probe firing (a call and the first bytes it printed) carry the same thread and
 * timestamp: that is one behaviour, however many rules report it.
 */
function callOf(e: TraceEvent): string {
  return `${e.tid}\0${e.ts}`;
}

/**
 * The largest number of rules that can each be paired with a call of their own (bipartite matching by augmenting
 * paths; a handful of rules with a few calls each).
 */
function distinctBehaviours(rules: readonly (readonly string[])[]): number {
  const owner = new Map<string, number>();
  const tryRule = (i: number, seen: Set<string>): boolean => {
    for (const c of rules[i]!) {
      if (seen.has(c)) continue;
      seen.add(c);
      const o = owner.get(c);
      if (o === undefined || tryRule(o, seen)) {
        owner.set(c, i);
        return true;
      }
    }
    return false;
  };
  let n = 0;
  for (let i = 0; i < rules.length; i++) if (tryRule(i, new Set())) n++;
  return n;
}

/** LT-100 over one engine's findings. */
export class Correlator {
  private readonly windowMs: number;
  private readonly minRules: number;
  private readonly maxEvidence: number;

  constructor(
    private readonly store: CombinedFindingStore,
    opts: { readonly windowMs: number; readonly minRules: number; readonly maxEvidence: number },
  ) {
    this.windowMs = opts.windowMs;
    this.minRules = opts.minRules;
    this.maxEvidence = opts.maxEvidence;
  }

  /** A non-info finding f of rule was made or repeated by event e in process p (whose state is `slot.correlation`). */
  observe(slot: { correlation: CorrelationState | null }, p: ProcessView, rule: RuleMeta, f: Finding, e: TraceEvent): void {
    const state: CorrelationState = (slot.correlation ??= { callsByRule: new Map(), lastCall: '' });
    const call = callOf(e);
    let mine = state.callsByRule.get(rule.id);
    if (mine === undefined) {
      mine = [];
      state.callsByRule.set(rule.id, mine);
    }
    const i = mine.findIndex((c) => c.id === call);
    if (i >= 0) mine.splice(i, 1);
    mine.push({ id: call, t: e.t, finding: f });
    // A matching of k rules never needs more than k calls of one rule: keep the newest.
    if (mine.length > this.minRules) mine.shift();
    if (state.callsByRule.size < this.minRules) return;
    const since = e.t - this.windowMs;
    const members: Finding[] = [];
    const callsOf: string[][] = [];
    for (const calls of state.callsByRule.values()) {
      const recent = calls.filter((c) => c.t >= since);
      if (recent.length === 0) continue;
      for (const c of recent) if (!members.includes(c.finding)) members.push(c.finding);
      callsOf.push(recent.map((c) => c.id));
    }
    if (callsOf.length < this.minRules) return;
    const behaviours = distinctBehaviours(callsOf);
    if (behaviours < this.minRules) return;
    const key = `${meta.id}\0${p.key}`;
    const severity = combinedSeverity(members.map((m) => m.severity));
    const names = [...new Set(members.map((m) => m.name))].sort();
    const combined = this.store.get(key);
    if (combined === undefined) {
      const made: Finding = {
        id: `${meta.id}:${p.pid}:${p.key}`,
        rule: meta.id,
        name: meta.name,
        title: meta.title,
        severity,
        attack: [...new Set(members.flatMap((m) => m.attack))],
        maturity: meta.maturity,
        summary: this.summary(names, behaviours),
        process: { pid: p.pid, ppid: p.ppid, uid: p.uid, name: p.name, path: p.path, key: p.key },
        key: 'process',
        evidence: [this.store.evidence(e)],
        region: null,
        bytes: null,
        ustack: null,
        detail: { rules: names, behaviours, windowMs: this.windowMs },
        baseline: { expected: false, entry: null, reason: 'each member finding carries its own baseline verdict' },
        // Calls of member rules: the ones that made the combination, then each later one.
        count: behaviours,
        firstSeen: Math.min(...members.map((m) => m.firstSeen)),
        lastSeen: e.t,
        firstTs: members.reduce((a, m) => (m.firstSeen < a.t ? { t: m.firstSeen, ts: m.firstTs } : a), { t: Infinity, ts: e.ts }).ts,
        lastTs: detachString(e.ts),
        related: members.map((m) => m.id),
      };
      if (this.store.add(key, made)) state.lastCall = call;
      return;
    }
    if (call !== state.lastCall) {
      // Another rule's view of the call just counted is the same behaviour.
      state.lastCall = call;
      combined.count++;
      if (combined.evidence.length < this.maxEvidence) combined.evidence.push(this.store.evidence(e));
    }
    combined.lastSeen = e.t;
    combined.lastTs = detachString(e.ts);
    if (severityRank(severity) > severityRank(combined.severity)) combined.severity = severity;
    const related = combined.related!;
    let grew = false;
    for (const m of members) {
      if (!related.includes(m.id)) {
        related.push(m.id);
        grew = true;
      }
    }
    const most = Math.max(behaviours, Number(combined.detail.behaviours));
    if (grew || most !== combined.detail.behaviours) {
      const all = [...new Set([...(combined.detail.rules as readonly string[]), ...names])].sort();
      combined.detail = { rules: all, behaviours: most, windowMs: this.windowMs };
      combined.summary = this.summary(all, most);
      (combined as { attack: readonly string[] }).attack = [...new Set([...combined.attack, ...members.flatMap((m) => m.attack)])];
    }
  }

  private summary(names: readonly string[], behaviours: number): string {
    const rules = names.length === behaviours ? '' : ` (${names.length} rules)`;
    return `${behaviours} distinct behaviours${rules} within ${this.windowMs / 1000} s: ${names.join(', ')}`;
  }
}
