/**
 * The import graph of src/, checked: `npm run check:imports`.
 *
 * Each folder of src/ is one stage, and imports run one way, from a stage to the stages
 * before it:
 *
 *   protocol → state → rules → baseline → engine → parse → pipeline → report → generate → capture → cli
 *
 * The files at the top of src/ are either foundations every stage may import (version.ts,
 * exit-codes.ts: they import no stage) or the library's public entry point (index.ts, which
 * no file of src/ imports). The check fails on:
 * - a cycle between files (type-only imports count: a cycle of types is still two files that
 *   cannot be understood apart);
 * - a library file (anything outside src/cli/) that imports src/cli/;
 * - an import that runs against the stage order.
 *
 * It reads `import … from`, `export … from`, `import type` and dynamic `import('…')` with the
 * TypeScript compiler's pre-processor, so comments and strings are not mistaken for imports,
 * and prints the folder-level graph.
 *
 * It also checks that test/ mirrors the stages: each stage has a folder of tests under test/
 * of the same name, every other folder there is one of the suites that cut across stages
 * (TEST_SUITES), and each test in a stage's folder reaches, through its imports and the test
 * helpers they import, a file of that stage, or starts bin/loadtrace.js (a command run whole).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The stages in import order: a stage may import the ones before it, never the ones after. */
export const STAGES = ['util', 'protocol', 'state', 'rules', 'baseline', 'engine', 'parse', 'pipeline', 'report', 'generate', 'capture', 'cli'] as const;

/** Files at the top of src/ that any stage may import; they import no stage themselves. */
export const FOUNDATIONS = ['version.ts', 'exit-codes.ts'] as const;

/** The public entry point: it may import every library stage, and nothing in src/ imports it. */
export const ENTRY = 'index.ts';

/**
 * Imports against the stage order that are known and still to be undone (`file -> target`),
 * each with why it exists. They are printed on every run; an entry whose import is gone is
 * itself a problem, so the list only shrinks. Cycles and imports of cli/ have no such list.
 */
export const KNOWN_AGAINST_ORDER: Readonly<Record<string, string>> = {};

/** Folders of test/ that are not a stage, and what each holds. */
export const TEST_SUITES: Readonly<Record<string, string>> = {
  e2e: 'real programs traced live through the whole tool',
  security: 'hostile input at every boundary',
  fuzz: 'property tests across the parser, the engine and baselines',
  docs: 'generated documentation in step with the code',
  package: 'the package as shipped: its entry points, its tarball, the import graph',
  scripts: 'the scripts of scripts/ (benchmarks)',
  helpers: 'shared test helpers (no tests)',
  fixtures: 'recorded traces, rule fixtures, test programs (no tests)',
};

export interface ImportGraph {
  /** File (relative to src/, with /) → the files of src/ it imports. */
  readonly files: ReadonlyMap<string, readonly string[]>;
}

export interface CheckResult {
  readonly graph: ImportGraph;
  readonly problems: readonly string[];
  /** Entries of KNOWN_AGAINST_ORDER still present in the graph. */
  readonly known: readonly string[];
  /** Folder-level graph, one line per folder: `capture -> generate, pipeline, …`. */
  readonly folders: string;
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...listTs(p));
    else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const toKey = (srcDir: string, file: string): string => relative(srcDir, file).split(sep).join('/');

/** The relative imports in a file's text (packages and node: builtins left out), resolved to absolute paths. */
function importsOf(file: string, text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.filter(({ fileName }) => fileName.startsWith('.')).map(({ fileName }) => resolve(dirname(file), fileName));
}

/** Reads every .ts file under srcDir and the relative imports between them. */
export function readGraph(srcDir: string): ImportGraph {
  const files = new Map<string, string[]>();
  for (const file of listTs(srcDir)) {
    const targets: string[] = [];
    for (const target of importsOf(file, readFileSync(file, 'utf8'))) {
      const key = toKey(srcDir, target);
      if (key.startsWith('..')) continue; // outside src/ (package.json, …)
      if (!targets.includes(key)) targets.push(key);
    }
    files.set(toKey(srcDir, file), targets);
  }
  return { files };
}

/** The stage (folder under src/) of a file, or the file's own name for the files at the top. */
export function stageOf(file: string): string {
  const slash = file.indexOf('/');
  return slash < 0 ? file : file.slice(0, slash);
}

function rankOf(stage: string): number | null {
  if ((FOUNDATIONS as readonly string[]).includes(stage)) return -1;
  const i = (STAGES as readonly string[]).indexOf(stage);
  return i < 0 ? null : i;
}

/** Strongly connected components of more than one file (or a file importing itself): Tarjan's algorithm. */
function cycles(graph: ImportGraph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.files.get(v) ?? []) {
      if (!graph.files.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.files.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.files.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/**
 * Every rule broken by the graph, one line each (empty: the graph is as it should be), and
 * the imports against the order that `known` excuses.
 */
export function problemsOf(graph: ImportGraph, known: Readonly<Record<string, string>> = {}): { problems: string[]; known: string[] } {
  const problems: string[] = [];
  const excused: string[] = [];
  for (const scc of cycles(graph)) problems.push(`cycle: ${scc.join(' <-> ')}`);
  for (const [file, targets] of [...graph.files].sort(([a], [b]) => a.localeCompare(b))) {
    const from = stageOf(file);
    const fromRank = rankOf(from);
    if (from !== ENTRY && fromRank === null) problems.push(`${file}: in no stage (add its folder to STAGES in scripts/check-imports.ts)`);
    for (const target of targets) {
      if (!graph.files.has(target)) {
        problems.push(`${file}: imports ${target}, which does not exist`);
        continue;
      }
      const to = stageOf(target);
      if (to === from) continue;
      if (to === ENTRY) {
        problems.push(`${file}: imports the public entry point ${ENTRY}; import the stage's own module`);
        continue;
      }
      if (to === 'cli' && from !== 'cli') {
        problems.push(`${file}: a library file imports the command line (${target})`);
        continue;
      }
      const toRank = rankOf(to);
      if (from === ENTRY || fromRank === null || toRank === null) continue;
      if (toRank <= fromRank) continue;
      if (Object.hasOwn(known, `${file} -> ${target}`)) excused.push(`${file} -> ${target}`);
      else problems.push(`${file}: imports ${target}, against the stage order (${from} comes before ${to})`);
    }
  }
  for (const entry of Object.keys(known)) {
    if (!excused.includes(entry)) problems.push(`${entry}: listed in KNOWN_AGAINST_ORDER but no longer imported; remove the entry`);
  }
  return { problems, known: excused };
}

/** The folder-level graph: each stage and the stages it imports, with how many imports. */
export function folderGraph(graph: ImportGraph): string {
  const edges = new Map<string, Map<string, number>>();
  for (const [file, targets] of graph.files) {
    const from = stageOf(file);
    const row = edges.get(from) ?? new Map<string, number>();
    edges.set(from, row);
    for (const t of targets) {
      const to = stageOf(t);
      if (to !== from) row.set(to, (row.get(to) ?? 0) + 1);
    }
  }
  const order = (s: string): number => (s === ENTRY ? STAGES.length : (rankOf(s) ?? STAGES.length + 1));
  const names = [...edges.keys()].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  const width = Math.max(...names.map((n) => n.length));
  return names
    .map((n) => {
      const row = [...edges.get(n)!].sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b));
      return `${n.padEnd(width)} -> ${row.length === 0 ? '(nothing)' : row.map(([t, c]) => `${t} (${c})`).join(', ')}`;
    })
    .join('\n');
}

export function checkImports(srcDir: string, known: Readonly<Record<string, string>> = KNOWN_AGAINST_ORDER): CheckResult {
  const graph = readGraph(srcDir);
  return { graph, ...problemsOf(graph, known), folders: folderGraph(graph) };
}

/** The src/ files a test reaches through its own imports and the test helpers they import, and whether it starts the CLI. */
function reach(testFile: string, rootDir: string): { src: Set<string>; runsCli: boolean } {
  const srcDir = join(rootDir, 'src');
  const testDir = join(rootDir, 'test');
  const src = new Set<string>();
  let runsCli = false;
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    if (/\bbin[/'", ]+loadtrace\.js/.test(text)) runsCli = true;
    for (const target of importsOf(file, text)) {
      if (!target.startsWith(srcDir + sep) && !target.startsWith(testDir + sep)) continue;
      if (target.startsWith(srcDir + sep)) src.add(toKey(srcDir, target));
      else if (/\.ts$/.test(target)) visit(target);
    }
  };
  visit(testFile);
  return { src, runsCli };
}

/** Problems with how test/ mirrors the stages of src/ (see the header). */
export function checkTestLayout(rootDir: string): string[] {
  const testDir = join(rootDir, 'test');
  const problems: string[] = [];
  const folders = readdirSync(testDir).filter((e) => statSync(join(testDir, e)).isDirectory());
  for (const folder of folders) {
    if (!(STAGES as readonly string[]).includes(folder) && !(folder in TEST_SUITES)) problems.push(`test/${folder}/: neither a stage of src/ nor a suite of TEST_SUITES`);
  }
  for (const stage of STAGES) if (!folders.includes(stage)) problems.push(`src/${stage}/: no test/${stage}/ folder of tests`);
  for (const stage of STAGES.filter((s) => folders.includes(s))) {
    for (const file of listTs(join(testDir, stage)).filter((f) => f.endsWith('.test.ts'))) {
      const { src, runsCli } = reach(file, rootDir);
      if (runsCli || [...src].some((f) => stageOf(f) === stage)) continue;
      problems.push(`test/${toKey(testDir, file)}: reaches no file of src/${stage}/ and does not start bin/loadtrace.js`);
    }
  }
  return problems;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const { graph, problems: importProblems, known, folders } = checkImports(srcDir);
  const testProblems = checkTestLayout(join(srcDir, '..'));
  const problems = [...importProblems, ...testProblems];
  const imports = [...graph.files.values()].reduce((n, t) => n + t.length, 0);
  const lines = (items: readonly string[]): string => items.map((p) => `  ${p}\n`).join('');
  process.stdout.write(`Stages, in import order: ${STAGES.join(' -> ')}\n\n${folders}\n\n`);
  if (known.length > 0) {
    process.stdout.write(`Known imports against the order, still to undo:\n${known.map((k) => `  ${k}: ${KNOWN_AGAINST_ORDER[k]}\n`).join('')}\n`);
  }
  if (problems.length > 0) {
    process.stdout.write(`${lines(problems)}\ncheck-imports: ${problems.length} problem(s) in ${graph.files.size} files\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`check-imports: ${graph.files.size} files, ${imports} imports: no cycle, no library import of cli/, every ${known.length > 0 ? 'other ' : ''}import follows the stage order; test/ mirrors the stages\n`);
  }
}
