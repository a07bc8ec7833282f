/**
 * The finding store: candidates become findings, repeats of one (rule,
 * process, key) merge into one finding, and the store stops growing at
 * maxFindings (new findings are then counted, not kept; existing ones still
 * count repeats). What a finding keeps outlives the input chunks its strings
 * were cut from, so it is detached (util/detach.ts).
 */
import type { Os } from '../protocol/flags.ts';
import type { TraceEvent } from '../protocol/registry.ts';
import { evidenceOf, regionEvidence, type EvidenceEvent, type Finding } from '../rules/finding.ts';
import { severityRank, type Candidate, type Judged, type MemoryChange, type RuleMeta } from '../rules/types.ts';
import type { ProcessInfo } from '../state/process-table.ts';
import type { Region } from '../state/region-map.ts';
import { detach, detachString } from '../util/detach.ts';

export interface FindingStoreOptions {
  readonly maxFindings: number;
  readonly maxEvidence: number;
  readonly onFinding?: ((f: Finding) => void) | undefined;
}

export class FindingStore {
  /** Platform of the trace: decides how evidence decodes flags. */
  os: Os;
  /** Findings in the order they were first made. */
  readonly order: Finding[] = [];
  /** New findings not kept because the store was full. */
  dropped = 0;
  private readonly byKey = new Map<string, Finding>();
  /** What each rule finding judged (correlated findings judge no behaviour of their own). */
  private readonly judgedOf = new Map<Finding, Judged>();
  /** Findings about a region whose first bytes have not arrived yet, by process and region start. */
  private readonly awaitingBytes = new Map<string, Finding[]>();

  constructor(
    private readonly opts: FindingStoreOptions,
    os: Os,
  ) {
    this.os = os;
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The evidence entry for an event, detached from the input. */
  evidence(e: TraceEvent): EvidenceEvent {
    return detach(evidenceOf(e, this.os));
  }

  get(key: string): Finding | undefined {
    return this.byKey.get(key);
  }

  /** Keep a new finding under key; false (and counted) when the store is full. */
  add(key: string, f: Finding): boolean {
    if (this.byKey.size >= this.opts.maxFindings) {
      this.dropped++;
      return false;
    }
    this.byKey.set(key, f);
    this.order.push(f);
    this.opts.onFinding?.(f);
    return true;
  }

  /** What the finding judged: the baseline behaviour and subject its rule asked about. */
  judged(f: Finding): Judged | undefined {
    return this.judgedOf.get(f);
  }

  /** A rule's candidate: a new finding, or a repeat merged into its earlier one; null when not kept. */
  record(rule: RuleMeta, e: TraceEvent, p: ProcessInfo, c: Candidate, change: MemoryChange | null): Finding | null {
    const key = `${rule.id}\0${p.key}\0${c.key}`;
    const known = this.byKey.get(key);
    if (known !== undefined) {
      this.repeat(known, e, c);
      return known;
    }
    if (this.byKey.size >= this.opts.maxFindings) {
      this.dropped++;
      return null;
    }
    let region: Region | null = (c.region as Region | null | undefined) ?? null;
    if (region === null && change !== null && change.ok) region = change.region ?? p.regions.find(change.start);
    const f: Finding = {
      id: detachString(`${rule.id}:${p.pid}:${p.key}:${c.key}`),
      rule: rule.id,
      name: rule.name,
      title: rule.title,
      severity: c.severity,
      attack: rule.attack,
      maturity: rule.maturity,
      summary: detachString(c.summary),
      process: { pid: p.pid, ppid: p.ppid, uid: p.uid, name: p.name, path: p.path, key: p.key },
      key: detachString(c.key),
      evidence: [this.evidence(e)],
      region: region !== null ? regionEvidence(region) : null,
      bytes: region?.bytes ?? (e.kind === 'bytes' ? detachString(e.data) : null),
      ustack: e.ustack !== undefined && e.ustack.length > 0 ? [...e.ustack] : null,
      detail: detach(c.detail ?? {}),
      baseline: detach(c.verdict),
      count: 1,
      firstSeen: e.t,
      lastSeen: e.t,
      firstTs: detachString(e.ts),
      lastTs: detachString(e.ts),
    };
    // The lookup key holds c.key, often a slice of the input: the map keeps a copy.
    this.byKey.set(detachString(key), f);
    this.order.push(f);
    this.judgedOf.set(f, judgedOf(c));
    if (region !== null && f.bytes === null) {
      const rk = regionKey(p, region.start);
      const list = this.awaitingBytes.get(rk);
      if (list === undefined) this.awaitingBytes.set(rk, [f]);
      else list.push(f);
    }
    this.opts.onFinding?.(f);
    return f;
  }

  private repeat(f: Finding, e: TraceEvent, c: Candidate): void {
    f.count++;
    f.lastSeen = e.t;
    f.lastTs = detachString(e.ts);
    if (f.evidence.length < this.opts.maxEvidence) f.evidence.push(this.evidence(e));
    if (severityRank(c.severity) > severityRank(f.severity)) {
      // The summary says what the worst call did, and so does the behaviour learned from it.
      f.severity = c.severity;
      f.summary = detachString(c.summary);
      this.judgedOf.set(f, judgedOf(c));
    }
    if (f.ustack === null && e.ustack !== undefined && e.ustack.length > 0) f.ustack = [...e.ustack];
  }

  /** The first bytes of region r of p arrived: findings made about it before they did show them. */
  bytesArrived(p: ProcessInfo, r: Region): void {
    const rk = regionKey(p, r.start);
    const list = this.awaitingBytes.get(rk);
    if (list === undefined) return;
    for (const f of list) if (f.bytes === null) f.bytes = r.bytes;
    this.awaitingBytes.delete(rk);
  }

  /** How many findings of each severity. */
  bySeverity(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const f of this.order) out[f.severity] = (out[f.severity] ?? 0) + 1;
    return out;
  }
}

function regionKey(p: ProcessInfo, start: number): string {
  return `${p.key}:${start}`;
}

function judgedOf(c: Candidate): Judged {
  return c.subject === undefined ? { behaviour: c.behaviour } : { behaviour: c.behaviour, subject: detach(c.subject) };
}
