import { bumpSeverity, severityRank, type RuleMeta, type Severity } from './types.ts';

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
