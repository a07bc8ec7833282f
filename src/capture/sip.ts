/**
 * System Integrity Protection as `csrutil status` reports it, and what it
 * means for DTrace (docs/platforms/macos.md §6).
 */

export interface SipStatus {
  /** 'enabled', 'disabled', 'custom' (enabled with some protections off), 'unknown' (unparseable), 'n/a' (not macOS). */
  readonly state: 'enabled' | 'disabled' | 'custom' | 'unknown' | 'n/a';
  /** Whether SIP's DTrace restriction is on; null when it cannot be told. */
  readonly dtraceRestricted: boolean | null;
  /** The raw text, kept for the record. */
  readonly raw: string;
}

/** Status for a platform without SIP. */
export const SIP_NOT_APPLICABLE: SipStatus = { state: 'n/a', dtraceRestricted: null, raw: '' };

/**
 * Parses `csrutil status`. Forms seen:
 * - `System Integrity Protection status: enabled.`
 * - `System Integrity Protection status: disabled.`
 * - `System Integrity Protection status: unknown (Custom Configuration).` followed by
 *   `Configuration:` lines such as `DTrace Restrictions: disabled` (after `csrutil enable --without dtrace`,
 *   docs/platforms/macos.md §6), sometimes with "This is an unsupported configuration…".
 */
export function parseCsrutilStatus(text: string): SipStatus {
  const raw = text.trim();
  const status = /System Integrity Protection status:\s*([a-z]+)/i.exec(raw)?.[1]?.toLowerCase();
  const dtraceLine = /DTrace Restrictions:\s*(enabled|disabled)/i.exec(raw)?.[1]?.toLowerCase();
  const custom = /Custom Configuration/i.test(raw) || /Configuration:/.test(raw);
  let dtraceRestricted: boolean | null;
  if (dtraceLine) dtraceRestricted = dtraceLine === 'enabled';
  else if (status === 'enabled') dtraceRestricted = true;
  else if (status === 'disabled') dtraceRestricted = false;
  else dtraceRestricted = null;
  let state: SipStatus['state'];
  if (custom && dtraceLine) state = 'custom';
  else if (status === 'enabled' || status === 'disabled') state = status;
  else state = 'unknown';
  return { state, dtraceRestricted, raw };
}

/** What SIP's DTrace restriction takes away, as lines for doctor and the docs (docs/platforms/macos.md §6). */
export const SIP_DTRACE_LIMITS: readonly string[] = [
  'kernel memory reads fault with "invalid kernel access" (translators such as curpsinfo, curthread)',
  'fbt probes do not exist; syscall and mach_trap may report "does not match any probes. System Integrity Protection is on"',
  'destructive actions (-w: stop(), system()) are refused: follow mode cannot stop new processes at exec',
  'processes with restricted entitlements (most Apple binaries) cannot be traced with -c or -p',
  'anonymous tracing (-A) is refused',
];
