/**
 * D template fragments. D has no functions, so statements that several D fragments need are
 * written once, in a template fragment of dtrace/fragments/, and written out by the generator:
 *
 * - the template's prologue (its header comment and typed declarations: everything above its
 *   `${<name>}` line) goes once into a script, as a text of its own just before the first
 *   fragment that uses the template;
 * - its statements (the body of the block under that line) replace each line `\t${<name>}` of a
 *   clause body in a fragment, indented as they are.
 *
 * D scripts only: the bpftrace fragments have no templates. A template name holds a hyphen, so a
 * line the generator did not expand is never taken for a typed slot (compose.ts) and fails to compile.
 */
import { readFragment } from './compose.ts';
import { GenerateError } from './errors.ts';
import type { Os } from '../protocol/flags.ts';

/** The D template fragments: ring-apply applies one change to the region ring, ring-find finds the slot holding an address (rwx-track describes the ring). */
export const D_TEMPLATES = ['ring-apply', 'ring-find'] as const;

export interface DTemplate {
  readonly name: string;
  /** Header comment and declarations, emitted once per script. */
  readonly prologue: string;
  /** Statement lines, each indented one tab as in a clause body. */
  readonly statements: readonly string[];
}

/** Split a template fragment's text into its prologue and its statements. */
export function parseDTemplate(name: string, text: string): DTemplate {
  const lines = text.replace(/\n+$/, '').split('\n');
  const at = lines.indexOf(`\${${name}}`);
  if (at < 0 || lines[at + 1] !== '{' || lines.at(-1) !== '}') {
    throw new GenerateError(`template fragment ${name}.d must end with a block: a line \${${name}}, then { statements }`);
  }
  const statements = lines.slice(at + 2, -1);
  const bad = statements.find((l) => l !== '' && !l.startsWith('\t'));
  if (statements.length === 0 || bad !== undefined) {
    throw new GenerateError(`template fragment ${name}.d: its statements must be indented one tab, got ${JSON.stringify(bad ?? '')}`);
  }
  return { name, prologue: lines.slice(0, at).join('\n').trimEnd(), statements };
}

const USE = /^([ \t]*)\$\{([a-z]+(?:-[a-z]+)+)\}[ \t]*$/gm;

/**
 * Write out the templates the fragment texts of one D script use: each use line becomes the
 * template's statements, and the template's prologue is inserted before the first text using it.
 * A use line must be a clause body line indented one tab; an unknown template name throws.
 */
export function expandDTemplates(texts: readonly string[], os: Os): string[] {
  const loaded = new Map<string, DTemplate>();
  const template = (name: string): DTemplate => {
    if (!(D_TEMPLATES as readonly string[]).includes(name)) {
      throw new GenerateError(`unknown D template \${${name}}; known templates: ${D_TEMPLATES.join(', ')}`);
    }
    let t = loaded.get(name);
    if (!t) {
      t = parseDTemplate(name, readFragment(name, 'dtrace', os));
      loaded.set(name, t);
    }
    return t;
  };
  const out: string[] = [];
  const declared = new Set<string>();
  for (const text of texts) {
    const used: string[] = [];
    const expanded = text.replace(USE, (_m, indent: string, name: string) => {
      if (indent !== '\t') throw new GenerateError(`D template \${${name}} must stand on a clause body line indented one tab`);
      const t = template(name);
      if (!used.includes(name)) used.push(name);
      return t.statements.join('\n');
    });
    for (const name of used) {
      if (declared.has(name)) continue;
      declared.add(name);
      out.push(template(name).prologue);
    }
    out.push(expanded);
  }
  return out;
}
