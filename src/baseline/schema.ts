/**
 * The baseline file format, version 1. A baseline says, per process identity,
 * which dynamic loading and which executable-memory behaviour is expected
 * (DESIGN contract 5). docs/baselines.md describes every field.
 */
import { z } from 'zod';
import { BEHAVIOUR_TABLE, BEHAVIOURS, FLAG_BEHAVIOURS, type Behaviour, type FlagBehaviour, type ListBehaviour } from '../rules/types.ts';

/** Fields a structured exception can compare (Falco's `exceptions` form). */
export const EXCEPTION_FIELDS = ['rule', 'proc.name', 'proc.path', 'proc.pname', 'lib.path', 'sym.name'] as const;
export type ExceptionField = (typeof EXCEPTION_FIELDS)[number];

/** Comparison operators of an exception; `in` takes a list of values. */
export const EXCEPTION_COMPS = ['=', '!=', 'in', 'glob', 'startswith', 'endswith', 'contains'] as const;
export type ExceptionComp = (typeof EXCEPTION_COMPS)[number];

/** Most wildcards (`*` runs, extglobs) in one path segment of a glob. */
export const MAX_SEGMENT_WILDCARDS = 2;
/** Most `**` segments in one glob. */
export const MAX_GLOBSTARS = 2;

/**
 * Why a glob is too costly to match, or null. Globs become backtracking regexes:
 * `*a*a*b` takes seconds on a 4096-byte path of `a`s, and a traced program picks
 * its own paths, symbols and name. Two wildcards per segment and two globstars
 * keep the worst case near quadratic (docs/security.md).
 */
export function globTooComplex(glob: string): string | null {
  let globstars = 0;
  for (const seg of glob.replace(/\\./g, 'x').split('/')) {
    if (seg === '**') {
      globstars++;
      continue;
    }
    const wild = seg.match(/[@?+!*]\(|\*+/g)?.length ?? 0;
    if (wild > MAX_SEGMENT_WILDCARDS) return `more than ${MAX_SEGMENT_WILDCARDS} wildcards in the path segment '${seg}'`;
  }
  if (globstars > MAX_GLOBSTARS) return `more than ${MAX_GLOBSTARS} '**' segments`;
  return null;
}

const Glob = z
  .string()
  .min(1, 'expected a non-empty glob')
  .superRefine((g, ctx) => {
    const why = globTooComplex(g);
    if (why !== null) ctx.addIssue({ code: 'custom', message: `glob too complex to match safely: ${why}` });
  });

export const ExceptionSchema = z
  .strictObject({
    name: z.string().min(1),
    fields: z.array(z.enum(EXCEPTION_FIELDS)).min(1),
    /** One operator per field; all `=` when omitted. */
    comps: z.array(z.enum(EXCEPTION_COMPS)).optional(),
    /** Each row is one tuple, one value per field (a list for `in`). */
    values: z.array(z.array(z.union([z.string(), z.array(z.string())]))),
  })
  .superRefine((ex, ctx) => {
    if (ex.comps !== undefined && ex.comps.length !== ex.fields.length) {
      ctx.addIssue({ code: 'custom', path: ['comps'], message: `expected ${ex.fields.length} operators, one per field` });
    }
    ex.values.forEach((row, i) => {
      if (row.length !== ex.fields.length) {
        ctx.addIssue({ code: 'custom', path: ['values', i], message: `expected ${ex.fields.length} values, one per field` });
        return;
      }
      row.forEach((v, k) => {
        const comp = ex.comps?.[k] ?? '=';
        if (comp === 'glob' && typeof v === 'string') {
          const why = globTooComplex(v);
          if (why !== null) ctx.addIssue({ code: 'custom', path: ['values', i, k], message: `glob too complex to match safely: ${why}` });
        }
        if ((comp === 'in') !== Array.isArray(v)) {
          ctx.addIssue({
            code: 'custom',
            path: ['values', i, k],
            message: comp === 'in' ? "expected a list of strings for operator 'in'" : `expected a string for operator '${comp}'`,
          });
        }
      });
    });
  });
export type BaselineException = z.infer<typeof ExceptionSchema>;

/** How many times each behaviour was seen while learning. */
const Counts = z.strictObject(
  Object.fromEntries(BEHAVIOURS.map((b) => [b, z.number().int().nonnegative().optional()])) as { [K in Behaviour]: z.ZodOptional<z.ZodNumber> },
);

export const LearnedSchema = z.strictObject({
  /** How many times each behaviour was seen while learning. */
  counts: Counts,
  /** ISO 8601 times of the first and last observation. */
  firstSeen: z.string(),
  lastSeen: z.string(),
  /** Number of inputs (captures) the entry was seen in. */
  inputs: z.number().int().nonnegative().optional(),
});

/**
 * A `match.path` glob must be able to match only absolute paths: `./prog` or `bin/prog` would match whatever
 * binary is started under that name in any directory, which is no identity at all.
 */
const PathGlob = Glob.refine((g) => g.startsWith('/') || /^[*?[{!@+(]/.test(g), {
  message: 'expected an absolute path glob (starting with / or a wildcard); a relative path names a different file in every directory',
});

export const MatchSchema = z
  .strictObject({
    /** Glob (picomatch) on the absolute executable path. */
    path: PathGlob.optional(),
    /** Process name, exact or glob. */
    name: Glob.optional(),
    /** Code-signing team id; reserved: the tracer does not report it yet, so such entries never match. */
    teamId: z.string().min(1).optional(),
    /** Code-signing identifier; reserved like teamId. */
    signingId: z.string().min(1).optional(),
  })
  .refine((m) => m.path !== undefined || m.name !== undefined || m.teamId !== undefined || m.signingId !== undefined, {
    message: 'expected at least one of path, name, teamId, signingId',
  });

/** A behaviour judged per subject: allowed at all, and for which subjects (any when the list is absent). */
const LIST_KEYS = {
  dlopen: z.strictObject({ allowed: z.boolean(), [BEHAVIOUR_TABLE.dlopen.list]: z.array(Glob).optional() }).optional(),
  dlsym: z.strictObject({ allowed: z.boolean(), [BEHAVIOUR_TABLE.dlsym.list]: z.array(Glob).optional() }).optional(),
} satisfies Record<ListBehaviour, z.ZodType>;

/** A behaviour allowed or not as a whole. */
const FLAG_KEYS = Object.fromEntries(FLAG_BEHAVIOURS.map((b) => [b, z.boolean().optional()])) as { [K in FlagBehaviour]: z.ZodOptional<z.ZodBoolean> };

export const EntrySchema = z.strictObject({
  /** Short label used in verdicts; `entries[i]` when absent. */
  id: z.string().min(1).optional(),
  match: MatchSchema,
  ...LIST_KEYS,
  ...FLAG_KEYS,
  /** Why this behaviour is legitimate for this process. */
  note: z.string().min(1, 'expected a note saying why'),
  learned: LearnedSchema.optional(),
  exceptions: z.array(ExceptionSchema).optional(),
});
export type BaselineEntry = z.infer<typeof EntrySchema>;

export const BaselineSchema = z.strictObject({
  version: z.literal(1),
  description: z.string().optional(),
  /** Which platform the entries were written for; informational. */
  os: z.enum(['darwin', 'linux', 'any']).optional(),
  entries: z.array(EntrySchema),
  /** Exceptions that apply to every process. */
  exceptions: z.array(ExceptionSchema).optional(),
});
export type Baseline = z.infer<typeof BaselineSchema>;

/** A baseline that expects nothing: every behaviour the rules watch is reported. */
export const EMPTY_BASELINE: Baseline = Object.freeze({ version: 1, entries: [] }) as Baseline;
