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
    'A combined finding when one process (one image of one pid) shows findings of at least `minRules` distinct rules (default 2) ' +
    'within `windowMs` (default 60 s) of each other, info findings not counted. Its severity is one step above the highest member, ' +
    'capped at critical; the member findings stay in the report unchanged, and the combined finding lists them.',
  tuning:
    'Tune the member rules through the baseline; the window and the number of rules are engine options (`windowMs`, ' +
    '`limits.correlationMinRules`).',
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
