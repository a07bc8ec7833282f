/**
 * Classification of the lines a tracer prints besides records: DTrace's
 * messages (docs/platforms/macos.md §3, from dtrace.c and dt_handle.c) and
 * bpftrace's own lines (docs/platforms/linux.md), with their numbers
 * extracted. Runs only on lines that are not records, so regexes are fine here.
 */
import type { Diagnostic, DiagnosticFamily, DropKind, DiagnosticSeverity } from '../protocol/diagnostics.ts';

type Data = Record<string, string | number | boolean | null>;

export interface FamilyInfo {
  readonly severity: DiagnosticSeverity;
  /** What the family means, for docs/protocol.md. */
  readonly doc: string;
  /** The keys of `data`, for docs/protocol.md. */
  readonly data: string;
}

/** Every family with its severity and meaning; docs/protocol.md's table is rendered from it. */
export const DIAGNOSTIC_FAMILIES: Readonly<Record<DiagnosticFamily, FamilyInfo>> = {
  probes_matched: {
    severity: 'info',
    doc: "`dtrace: script '…' matched N probes`, `dtrace: description '…' matched N probe[s]`",
    data: 'count, what (script|description), name',
  },
  drops: {
    severity: 'warning',
    doc: 'every DTrace drop message (principal, aggregation, dynamic variable incl. rinsing/dirty, speculative, failed speculations, ustack string table, ERROR probe enabling; optional `[DTRACEDROP_…]` tag) and bpftrace `Lost N events`',
    data: 'count, dropKind, cpu (null unless per CPU), tag (null unless -x droptags)',
  },
  probe_error: {
    severity: 'warning',
    doc: '`dtrace: error on enabled probe ID e (ID p: prov:mod:func:name): fault [(0xaddr)] in action #k|predicate [at DIF offset o]`, the library-level form, and the same wrapped over two lines; Oracle DTrace for Linux: `dtrace: error in <clause> for probe ID p (prov:mod:func:name): fault [(0xaddr)] [at BPF pc n]`',
    data: 'epid, probeId, probe, fault, addr, action (number, "predicate" or null), difOffset; Oracle DTrace for Linux: epid, action, difOffset null, with clause and bpfPc',
  },
  sip_notice: {
    severity: 'warning',
    doc: '`dtrace: system integrity protection is on, some features will not be available` (printed even with -q)',
    data: '-',
  },
  sip_restricted: {
    severity: 'error',
    doc: '`… does not match any probes. System Integrity Protection is on`; `system integrity protection restricts the use of anonymous tracing`',
    data: 'probe (when named), message',
  },
  privileges: {
    severity: 'error',
    doc: '`dtrace: failed to initialize dtrace: DTrace requires additional privileges`; bpftrace `ERROR: bpftrace currently only supports running as the root user.`',
    data: 'message',
  },
  exec_failed: { severity: 'error', doc: '`dtrace: failed to execute <cmd>: <reason>` (-c)', data: 'command, reason' },
  grab_failed: { severity: 'error', doc: '`dtrace: failed to grab pid <P>: <reason>` (-p)', data: 'pid, reason' },
  invalid_pid: { severity: 'error', doc: '`dtrace: invalid pid: <arg>`', data: 'arg' },
  compile_error: {
    severity: 'error',
    doc: '`dtrace: failed to compile script <file>: line <n>: <msg>`; `dtrace: invalid probe specifier <program>: <msg>`, which spans as many lines as the echoed program; bpftrace `<file>:<line>:<col>: ERROR: <msg>`',
    data: 'file, scriptLine, message; or specifier, message, probe',
  },
  enable_failed: {
    severity: 'error',
    doc: "`dtrace: failed to enable '<name>': <msg>`; `dtrace: could not enable tracing: <msg>`",
    data: 'name (null for could not enable), reason',
  },
  no_probes: { severity: 'error', doc: '`dtrace: no probes matched`, `dtrace: no probes specified`', data: 'message' },
  aborted: { severity: 'error', doc: '`dtrace: processing aborted: <msg>`', data: 'reason' },
  option_failed: { severity: 'error', doc: '`dtrace: failed to set -x <opt>: <msg>`', data: 'option, reason' },
  output_failed: { severity: 'error', doc: "`dtrace: failed to open output file '<f>'[: <reason>]`", data: 'file, reason' },
  pid_exit: {
    severity: 'info',
    doc: '`dtrace: pid P has exited`, `… exited with status N`, `… terminated by SIG`',
    data: 'pid, status (or null), signal (or null)',
  },
  pid_notice: {
    severity: 'warning',
    doc: "`dtrace: pid P: <msg>`, `dtrace: pid P exec'd a set-id or unobservable program`",
    data: 'pid, message',
  },
  destructive: { severity: 'info', doc: '`dtrace: allowing destructive actions` (-w)', data: '-' },
  buffer_adjust: {
    severity: 'warning',
    doc: '`dtrace: buffer size lowered to 2m`, `… dynamic variable size lowered to …`, `dtrace: cleaning rate increased to 50 hz` / `reduced to …`',
    data: 'what, direction, value',
  },
  header: {
    severity: 'info',
    doc: 'the `CPU     ID                    FUNCTION:NAME` (or `CPU FUNCTION`) header of non-quiet dtrace',
    data: '-',
  },
  attaching: { severity: 'info', doc: 'bpftrace `Attaching N probes...`', data: 'count' },
  memlock: {
    severity: 'info',
    doc: "bpftrace `ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK …`: harmless, bpftrace works on",
    data: '-',
  },
  tracer_error: {
    severity: 'error',
    doc: 'any other `dtrace: …` message and any other bpftrace `ERROR: …` line, kept verbatim',
    data: 'message',
  },
  tracer_notice: { severity: 'info', doc: 'bpftrace `WARNING: …` lines', data: 'message' },
  parse_error: {
    severity: 'warning',
    doc: 'a line carrying the marker with the right nonce that failed to decode, or a line longer than the maximum line length',
    data: 'reason, kind (when known), field (when known)',
  },
};

/** Build a diagnostic with its family's severity. */
export function diag(family: DiagnosticFamily, line: number, text: string, data: Data, lines = 1): Diagnostic {
  return { type: 'diagnostic', family, severity: DIAGNOSTIC_FAMILIES[family].severity, line, lines, text, data };
}

const DTRACE = 'dtrace: ';

// dt_handle.c 311–414 (docs/platforms/macos.md §3): each drop message after the optional droptag.
const DROP_RULES: readonly (readonly [RegExp, DropKind])[] = [
  [/^(\d+) drops? on CPU (\d+)$/, 'principal'],
  [/^(\d+) aggregation drops? on CPU (\d+)$/, 'aggregation'],
  [/^(\d+) dynamic variable drops? with non-empty rinsing list$/, 'dynvar_rinsing'],
  [/^(\d+) dynamic variable drops? with non-empty dirty list$/, 'dynvar_dirty'],
  [/^(\d+) dynamic variable drops?$/, 'dynvar'],
  [/^(\d+) speculative drops?$/, 'speculative'],
  [/^(\d+) failed speculations? \(available buffer\(s\) still busy\)$/, 'spec_busy'],
  [/^(\d+) failed speculations? \(no speculative buffer available\)$/, 'spec_unavail'],
  [/^(\d+) jstack\(\)\/ustack\(\) string table overflows?$/, 'stack_strtab'],
  [/^(\d+) errors? in ERROR probe enabling$/, 'error_enabling'],
];

const PROBE_ERROR = /^error on enabled probe ID (\d+) \(ID (\d+): (.*?)\):(?: (.*))?$/;
// dt_handle.c 214–218: fault, optional (0xaddr), action #k or predicate, optional DIF offset.
const FAULT = /^(.+?)(?: \((0x[0-9a-fA-F]+)\))? in (?:action #(\d+)|(predicate))(?: at DIF offset (\d+))?$/;

// Oracle DTrace for Linux (libdtrace/dt_handle.c, dt_handle_err): the clause's name instead of the
// enabled probe ID and action, a BPF program counter instead of a DIF offset; an index fault prints
// a signed number in the parentheses.
const ORACLE_PROBE_ERROR = /^error in (\S+) for probe ID (\d+) \((.*?)\): (.*?)(?: \((0x[0-9a-fA-F]+|-?\d+)\))?(?: at BPF pc (\d+))?$/;

const SIP_NO_MATCH = 'does not match any probes. System Integrity Protection is on';

/** Heads of D compiler messages, used to find where an echoed program ends. */
const COMPILER_MESSAGE =
  /: (probe description |invalid probe description|syntax error|in action list|in predicate|failed to |undefined |Undefined |unknown |operator |cannot |invalid |illegal |extraneous |expected |incomplete |redeclaration |duplicate |attempt to |probe |no probes |[a-z]+\(\) )/;

/** Parse the part after `(ID p: desc):` into fault fields; null when it is not a fault text. */
export function parseFault(rest: string): Data | null {
  const m = FAULT.exec(rest);
  if (!m) return null;
  return {
    fault: m[1]!,
    addr: m[2] ? m[2].toLowerCase() : null,
    action: m[3] !== undefined ? Number(m[3]) : 'predicate',
    difOffset: m[5] !== undefined ? Number(m[5]) : null,
  };
}

/**
 * A probe error whose fault text is missing from its line, because a log or a
 * terminal wrapped it (samples 21 and 29: the line ends with `):` or `): \`).
 */
export function isWrappedProbeError(text: string): boolean {
  if (!text.startsWith(DTRACE + 'error on enabled probe ID ')) return false;
  const m = PROBE_ERROR.exec(text.slice(DTRACE.length));
  if (!m) return false;
  const rest = (m[4] ?? '').trim();
  return rest === '' || rest === '\\';
}

/** Join a wrapped probe error head with its continuation line; null when the line is not a fault text. */
export function completeProbeError(head: string, next: string, line: number): Diagnostic | null {
  const fault = parseFault(next.trim());
  if (!fault) return null;
  const m = PROBE_ERROR.exec(head.slice(DTRACE.length))!;
  return diag('probe_error', line, head + '\n' + next, probeData(m, fault), 2);
}

function probeData(m: RegExpExecArray, fault: Data): Data {
  return { epid: Number(m[1]), probeId: Number(m[2]), probe: m[3]!, ...fault };
}

const SPECIFIER = DTRACE + 'invalid probe specifier';

/** Opening line of DTrace's `invalid probe specifier` message, which echoes the whole program. */
export function isProbeSpecifierStart(text: string): boolean {
  return text.startsWith(SPECIFIER);
}

/** Where the compiler's message starts in a line of the block (after its `: `), or -1. */
function messageStart(text: string, first: boolean): number {
  const from = first ? SPECIFIER.length : 0;
  if (!first && text.startsWith(': ')) return 2;
  const body = first ? text.slice(from) : text;
  const m = COMPILER_MESSAGE.exec(body);
  if (m) return from + m.index + 2;
  const sip = body.indexOf(SIP_NO_MATCH);
  if (sip >= 0) {
    const colon = body.lastIndexOf(': ', sip);
    if (colon >= 0) return from + colon + 2;
  }
  return -1;
}

/**
 * Whether this line closes an `invalid probe specifier` block: it starts with `: `
 * (the program ended with a newline, sample 16) or holds `: ` and a D compiler
 * message head (sample 10, where all of it is on the opening line).
 */
export function closesProbeSpecifier(text: string, first: boolean): boolean {
  return messageStart(text, first) >= 0;
}

/** Lines that cannot be part of an echoed program: they end an unclosed block before themselves. */
export function interruptsProbeSpecifier(text: string): boolean {
  return text.startsWith(DTRACE) || isHeader(text);
}

/** The diagnostic of a whole `invalid probe specifier` block (closed: its last line holds the message). */
export function probeSpecifierDiagnostic(lines: readonly string[], first: number, closed: boolean): Diagnostic {
  const text = lines.join('\n');
  let specifier: string;
  let message: string | null = null;
  const last = lines[lines.length - 1]!;
  const at = closed ? messageStart(last, lines.length === 1) : -1;
  if (at >= 0) {
    const upTo = text.length - last.length + at - 2;
    specifier = text.slice(SPECIFIER.length, upTo);
    message = text.slice(upTo + 2);
  } else {
    specifier = text.slice(SPECIFIER.length);
  }
  specifier = specifier.replace(/^[ \n]/, '').replace(/\n$/, '');
  const probe = message ? (/probe description (\S+) does not match any probes/.exec(message)?.[1] ?? null) : null;
  const data: Data = { specifier, message, probe, closed: at >= 0 };
  const family: DiagnosticFamily = message?.includes(SIP_NO_MATCH) ? 'sip_restricted' : 'compile_error';
  return diag(family, first, text, data, lines.length);
}

function isHeader(text: string): boolean {
  // dtrace.c: oprintf("%3s %6s %32s\n", "CPU", "ID", "FUNCTION:NAME"); flowindent prints "CPU FUNCTION".
  return text.startsWith('CPU ') && /^CPU +(?:ID +FUNCTION:NAME|FUNCTION) *$/.test(text);
}

const BPFTRACE_COMPILE = /^(\S*):(\d+):\d+(?:-\d+)?: ERROR: (.*)$/;

/** Classify one line that is not a record; null means it is a foreign line. */
export function classifyLine(text: string, line: number): Diagnostic | null {
  if (text.startsWith(DTRACE)) return classifyDtrace(text, line);
  if (isHeader(text)) return diag('header', line, text, {});
  const c = text.charCodeAt(0);
  if (c === 65 /* A */) {
    const m = /^Attaching (\d+) probes?\.\.\.$/.exec(text);
    if (m) return diag('attaching', line, text, { count: Number(m[1]) });
  } else if (c === 76 /* L */) {
    const m = /^Lost (\d+) events?$/.exec(text);
    if (m) return diag('drops', line, text, { count: Number(m[1]), dropKind: 'lost_events', cpu: null, tag: null });
  } else if (c === 69 /* E */ && text.startsWith('ERROR: ')) {
    // docs/platforms/linux.md: printed on every run without CAP_SYS_RESOURCE, then bpftrace works normally.
    if (text.includes("couldn't set RLIMIT_MEMLOCK")) return diag('memlock', line, text, {});
    if (text.includes('only supports running as the root user')) return diag('privileges', line, text, { message: text.slice(7) });
    return diag('tracer_error', line, text, { message: text.slice(7) });
  } else if (c === 87 /* W */ && text.startsWith('WARNING: ')) {
    return diag('tracer_notice', line, text, { message: text.slice(9) });
  }
  // bpftrace names the script position of a compile error: `script.bt:12:3-10: ERROR: Unknown function: foo`.
  const bt = BPFTRACE_COMPILE.exec(text);
  if (bt) return diag('compile_error', line, text, { file: bt[1]!, scriptLine: Number(bt[2]), message: bt[3]! });
  return null;
}

function classifyDtrace(text: string, line: number): Diagnostic {
  const msg = text.slice(DTRACE.length);
  const d = (family: DiagnosticFamily, data: Data) => diag(family, line, text, data);
  let m: RegExpExecArray | null;

  if ((m = /^(script|description) '(.*)' matched (\d+) probes?$/.exec(msg))) {
    return d('probes_matched', { count: Number(m[3]), what: m[1]!, name: m[2]! });
  }
  const tagged = /^\[(DTRACEDROP_[A-Z_]+)\] (.*)$/.exec(msg);
  const dropText = tagged ? tagged[2]! : msg;
  if (dropText.charCodeAt(0) >= 48 && dropText.charCodeAt(0) <= 57) {
    for (const [re, dropKind] of DROP_RULES) {
      const dm = re.exec(dropText);
      if (dm) {
        return d('drops', {
          count: Number(dm[1]),
          dropKind,
          cpu: dm[2] !== undefined ? Number(dm[2]) : null,
          tag: tagged ? tagged[1]! : null,
        });
      }
    }
  }
  if ((m = PROBE_ERROR.exec(msg))) {
    const rest = m[4] ?? '';
    const fault = parseFault(rest);
    // dt_handle.c 257–262: the library-level form carries a message instead of a fault and action.
    const lib = rest.trim() === '' || rest.trim() === '\\' ? null : rest;
    return d('probe_error', probeData(m, fault ?? { fault: lib, addr: null, action: null, difOffset: null }));
  }
  if ((m = ORACLE_PROBE_ERROR.exec(msg))) {
    return d('probe_error', {
      epid: null,
      probeId: Number(m[2]),
      probe: m[3]!,
      fault: m[4]!,
      addr: m[5] ? m[5].toLowerCase() : null,
      action: null,
      difOffset: null,
      clause: m[1]!,
      bpfPc: m[6] !== undefined ? Number(m[6]) : null,
    });
  }
  if (isProbeSpecifierStart(text)) return probeSpecifierDiagnostic([text], line, closesProbeSpecifier(text, true));
  if (msg === 'system integrity protection is on, some features will not be available') return d('sip_notice', {});
  if (msg.includes(SIP_NO_MATCH)) {
    const probe = /probe description (\S+) does not match any probes/.exec(msg)?.[1] ?? null;
    return d('sip_restricted', { probe, message: msg });
  }
  if (msg.startsWith('system integrity protection restricts')) return d('sip_restricted', { probe: null, message: msg });
  if (msg.includes('DTrace requires additional privileges')) return d('privileges', { message: msg });
  if ((m = /^failed to execute (.*?): (.*)$/.exec(msg))) return d('exec_failed', { command: m[1]!, reason: m[2]! });
  if ((m = /^failed to grab pid (\d+): (.*)$/.exec(msg))) return d('grab_failed', { pid: Number(m[1]), reason: m[2]! });
  if ((m = /^invalid pid: ?(.*)$/.exec(msg))) return d('invalid_pid', { arg: m[1]! });
  if ((m = /^failed to compile script (.*?): line (\d+): (.*)$/.exec(msg))) {
    return d('compile_error', { file: m[1]!, scriptLine: Number(m[2]), message: m[3]! });
  }
  if ((m = /^failed to compile script (.*?): (.*)$/.exec(msg))) {
    return d('compile_error', { file: m[1]!, scriptLine: null, message: m[2]! });
  }
  if ((m = /^failed to enable '(.*)': (.*)$/.exec(msg))) return d('enable_failed', { name: m[1]!, reason: m[2]! });
  if ((m = /^could not enable tracing: (.*)$/.exec(msg))) return d('enable_failed', { name: null, reason: m[1]! });
  if (/^no probes (?:matched|specified)/.test(msg)) return d('no_probes', { message: msg });
  if ((m = /^processing aborted: (.*)$/.exec(msg))) return d('aborted', { reason: m[1]! });
  if ((m = /^failed to set -x (.*?): (.*)$/.exec(msg))) return d('option_failed', { option: m[1]!, reason: m[2]! });
  if ((m = /^failed to open output file '(.*)'(?:: (.*))?$/.exec(msg))) {
    return d('output_failed', { file: m[1]!, reason: m[2] ?? null });
  }
  // prochandler, dtrace.c 652–699.
  if ((m = /^pid (\d+) has exited$/.exec(msg))) return d('pid_exit', { pid: Number(m[1]), status: null, signal: null });
  if ((m = /^pid (\d+) exited with status (-?\d+)$/.exec(msg))) {
    return d('pid_exit', { pid: Number(m[1]), status: Number(m[2]), signal: null });
  }
  if ((m = /^pid (\d+) terminated by (\S+)$/.exec(msg))) return d('pid_exit', { pid: Number(m[1]), status: null, signal: m[2]! });
  if ((m = /^pid (\d+) (exec'd a set-id or unobservable program)$/.exec(msg))) {
    return d('pid_notice', { pid: Number(m[1]), message: m[2]! });
  }
  if ((m = /^pid (\d+): (.*)$/.exec(msg))) return d('pid_notice', { pid: Number(m[1]), message: m[2]! });
  if (msg === 'allowing destructive actions') return d('destructive', {});
  // go(), dtrace.c 969–1064.
  if ((m = /^((?:[a-z]+ )*(?:size|rate)) (lowered|raised|increased|reduced) to (.+)$/.exec(msg))) {
    return d('buffer_adjust', { what: m[1]!, direction: m[2]!, value: m[3]! });
  }
  return d('tracer_error', { message: msg });
}
