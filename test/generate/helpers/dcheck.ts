/**
 * A structural check of generated D: what a D compiler would refuse first, without one.
 * Balanced delimiters, clause shape, probe descriptions from the providers the reference
 * documents, known pragmas, declared inline constants, every variable read also assigned,
 * and no destructive action unless allowed.
 */

const PRAGMAS: Record<string, RegExp | null> = {
  quiet: null,
  temporal: null,
  strsize: /^[0-9]+$/,
  switchrate: /^[1-9][0-9]*(hz|ns|us|ms|s)$/,
  bufsize: /^[1-9][0-9]*[kmgKMG]?$/,
  dynvarsize: /^[1-9][0-9]*[kmgKMG]?$/,
};

// provider:module:function:name, or the provider-only shorthands of BEGIN/END/tick-/profile-.
const PROBE = [
  /^pid(\$target|[0-9]+):[A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*:(entry|return)$/,
  /^syscall::[a-z_0-9]+:(entry|return)$/,
  /^mach_trap::_kernelrpc_mach_vm_(allocate|deallocate|protect|map)_trap:(entry|return)$/,
  /^proc:::(create|exec|exec-success|exec-failure|exit|exited|start)$/,
  /^(profile:::)?profile-[0-9]+(hz)?$/,
  /^(profile:::)?tick-[0-9]+(s|sec|hz|ms)?$/,
  /^(dtrace:::)?(BEGIN|END|ERROR)$/,
];

const DESTRUCTIVE = /\b(stop|system|raise|copyout|copyoutstr|panic|breakpoint|chill)\s*\(/;

const BUILTINS = new Set([
  'arg0', 'arg1', 'arg2', 'arg3', 'arg4', 'arg5', 'arg6', 'arg7', 'arg8', 'arg9', 'args', 'pid', 'ppid', 'tid', 'uid',
  'execname', 'walltimestamp', 'errno', 'printf', 'copyin', 'copyinstr', 'strlen', 'substr', 'stringof', 'ustack', 'exit', 'raise',
  'uint8_t', 'uint64_t', 'int64_t', 'int', 'pr_pid',
]);

export interface DCheckResult {
  readonly problems: string[];
  readonly clauses: { probes: string[]; predicate: string | null; body: string }[];
  readonly inlines: Map<string, string>;
}

function blank(s: string): string {
  return s.replace(/[^\n]/g, ' ');
}

/** Check one D program. */
export function checkD(program: string, opts: { allowDestructive?: boolean } = {}): DCheckResult {
  const problems: string[] = [];
  // Comments out, then string contents neutralised (so braces inside strings do not count).
  // Stripping comments first is sound because generated literals never hold * or / raw.
  let src = program.replace(/\/\*[\s\S]*?\*\//g, blank);
  if (/\/\*|\*\//.test(src)) problems.push('unbalanced comment delimiters');
  src = src.replace(/"(?:[^"\\\n]|\\.)*"/g, (m) => `"${'s'.repeat(m.length - 2)}"`);
  if (/"[^"\n]*$/m.test(src.replace(/"s*"/g, ''))) problems.push('unterminated string literal');
  const pairs: Record<string, string> = { '}': '{', ')': '(', ']': '[' };
  const stack: string[] = [];
  for (const ch of src) {
    if (ch === '{' || ch === '(' || ch === '[') stack.push(ch);
    else if (ch in pairs) {
      if (stack.pop() !== pairs[ch]) {
        problems.push(`unbalanced ${ch}`);
        break;
      }
    }
  }
  if (stack.length) problems.push(`unclosed ${stack.join('')}`);

  const inlines = new Map<string, string>();
  const declared = new Set<string>();
  const clauses: DCheckResult['clauses'] = [];
  let i = 0;
  const n = src.length;
  const skipWs = () => {
    while (i < n && /\s/.test(src[i]!)) i++;
  };
  while (true) {
    skipWs();
    if (i >= n) break;
    const lineEnd = src.indexOf('\n', i) === -1 ? n : src.indexOf('\n', i);
    const line = src.slice(i, lineEnd).trim();
    if (line.startsWith('#pragma')) {
      const m = /^#pragma D option ([a-z]+)(?:=(\S+))?$/.exec(line);
      if (!m) problems.push(`malformed pragma: ${line}`);
      else if (!(m[1]! in PRAGMAS)) problems.push(`unknown option ${m[1]}`);
      else {
        const re = PRAGMAS[m[1]!];
        if (re === null && m[2] !== undefined) problems.push(`option ${m[1]} takes no value`);
        if (re && (m[2] === undefined || !re.test(m[2]))) problems.push(`option ${m[1]} has a bad value ${m[2]}`);
      }
      i = lineEnd;
      continue;
    }
    // Declarations: D rejects a variable read before any clause assigns it unless declared first.
    const decl = /^(self )?(int|int64_t|uint64_t|string) (lt_[a-z_0-9]+)(\[[a-z0-9_, ]+\])?;$/.exec(line);
    if (decl) {
      declared.add(decl[1] ? `self->${decl[3]}` : decl[3]!);
      i = lineEnd;
      continue;
    }
    // A clause-local variable's type (a template's inputs, dtemplates.ts): it must come before the
    // first clause that uses the variable, and says nothing of its value, which each firing still sets.
    const local = /^this (int|int64_t|uint64_t) ([a-z][a-z_0-9]*);$/.exec(line);
    if (local) {
      if (clauses.some((c) => new RegExp(`this->${local[2]}\\b`).test(`${c.predicate ?? ''}\n${c.body}`))) {
        problems.push(`this->${local[2]} is declared after a clause that uses it`);
      }
      i = lineEnd;
      continue;
    }
    if (line.startsWith('inline ')) {
      // LT_NOT_SELF is the one inline that is an expression: of pid, ppid, $pid (dtrace itself) and LT_SELF_PID only.
      const self = /^inline int (LT_NOT_SELF) = (.*);$/.exec(line);
      const selfOk =
        self !== null &&
        /^[()!=&| 0-9]*$/.test(self[2]!.replace(/\$pid|\bppid\b|\bpid\b|\bLT_SELF_PID\b/g, ''));
      const m = selfOk ? ['', 'int', 'LT_NOT_SELF'] : /^inline (int|string) (LT_[A-Z_]+) = (-?[0-9]+|0x[0-9a-f]+|"s*");$/.exec(line);
      if (!m) problems.push(`malformed inline: ${line}`);
      else inlines.set(m[2]!, m[1]!);
      i = lineEnd;
      continue;
    }
    // A clause: descriptions, optional /predicate/, { body }.
    const open = src.indexOf('{', i);
    if (open === -1) {
      problems.push(`trailing text: ${src.slice(i, i + 40)}`);
      break;
    }
    let head = src.slice(i, open);
    let predicate: string | null = null;
    const slash = head.indexOf('/');
    if (slash !== -1) {
      const last = head.lastIndexOf('/');
      if (last === slash || head.slice(last + 1).trim() !== '') problems.push(`malformed predicate near ${head.trim().slice(0, 60)}`);
      predicate = head.slice(slash + 1, last);
      head = head.slice(0, slash);
    }
    const probes = head.split(',').map((p) => p.trim());
    for (const p of probes) {
      if (!PROBE.some((re) => re.test(p))) problems.push(`unknown probe description ${JSON.stringify(p)}`);
    }
    let depth = 0;
    let j = open;
    for (; j < n; j++) {
      if (src[j] === '{') depth++;
      else if (src[j] === '}' && --depth === 0) break;
    }
    const body = src.slice(open + 1, j);
    clauses.push({ probes, predicate, body });
    i = j + 1;
  }

  // Variables: assignments anywhere (self->, globals) or earlier in the clause (this->).
  const assignedGlobal = new Set<string>();
  const assignRe = /(self->\w+|this->\w+|\blt_\w+)(\s*\[[^\]]*\])?\s*(=(?!=)|\+\+|--|[+\-|&]=)/g;
  for (const c of clauses) for (const m of c.body.matchAll(assignRe)) assignedGlobal.add(m[1]!);
  clauses.forEach((c, k) => {
    const where = `clause ${k + 1} (${c.probes[0]})`;
    const text = `${c.predicate ?? ''}\n${c.body}`;
    for (const m of text.matchAll(/(self->\w+|\blt_\w+)/g)) {
      // A declared variable that is never assigned on one system (lt_memfd on macOS) reads as 0 by design.
      if (!assignedGlobal.has(m[1]!) && !declared.has(m[1]!)) problems.push(`${where}: ${m[1]} is read but never assigned`);
    }
    // Clause-local variables live through one probe firing, across its clauses in source order; they
    // count as set only when an earlier clause without a predicate sets them for every probe of this
    // one, since a value left from an earlier firing is garbage.
    const seen = new Set<string>(inherited(clauses.slice(0, k), c.probes));
    for (const m of (c.predicate ?? '').matchAll(/this->(\w+)/g)) {
      if (!seen.has(m[1]!)) problems.push(`${where}: clause-local variable this->${m[1]} in a predicate, not set by an earlier clause`);
    }
    for (const m of c.body.matchAll(/this->(\w+)(\s*(=(?!=)))?/g)) {
      if (m[2]) seen.add(m[1]!);
      else if (!seen.has(m[1]!)) problems.push(`${where}: this->${m[1]} read before it is assigned`);
    }
    for (const m of text.matchAll(/\b(LT_[A-Z_]+)\b/g)) {
      if (!inlines.has(m[1]!)) problems.push(`${where}: ${m[1]} is not declared inline`);
    }
    for (const m of text.replace(/"s*"/g, '').replace(/\$target\b/g, '').replace(/(self|this)->\w+/g, '').replace(/->\w+/g, '').matchAll(/\b([a-z_][a-z_0-9]*)\b/g)) {
      const id = m[1]!;
      if (!id.startsWith('lt_') && !BUILTINS.has(id)) problems.push(`${where}: unknown identifier ${id}`);
    }
    if (DESTRUCTIVE.test(c.body) && !opts.allowDestructive) problems.push(`${where}: destructive action without the option`);
    if (!/;\s*$/.test(c.body) && c.body.trim() !== '') problems.push(`${where}: last statement lacks ;`);
  });
  return { problems, clauses, inlines };
}

/** Clause-local variables that earlier predicate-free clauses set for every one of these probes. */
function inherited(earlier: DCheckResult['clauses'], probes: readonly string[]): string[] {
  const sets = probes.map((p) => {
    const set = new Set<string>();
    for (const c of earlier) {
      if (c.predicate !== null || !c.probes.includes(p)) continue;
      for (const m of c.body.matchAll(/this->(\w+)\s*=(?!=)/g)) set.add(m[1]!);
    }
    return set;
  });
  const [first, ...rest] = sets;
  return first ? [...first].filter((v) => rest.every((s) => s.has(v))) : [];
}
