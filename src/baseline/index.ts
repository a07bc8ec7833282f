/** Baselines: schema, loading, compiling for the engine, learning, merging and comparing. */
export {
  BaselineSchema,
  EntrySchema,
  ExceptionSchema,
  EMPTY_BASELINE,
  EXCEPTION_COMPS,
  EXCEPTION_FIELDS,
  type Baseline,
  type BaselineEntry,
  type BaselineException,
  type ExceptionComp,
  type ExceptionField,
} from './schema.ts';
export {
  BaselineError,
  defaultBaselinePath,
  formatJsonPath,
  loadBaseline,
  loadDefaultBaseline,
  parseBaseline,
  validateBaseline,
  type BaselineIssue,
} from './load.ts';
export { compileBaseline, escapeGlob, type CompiledBaseline, type CompiledEntry, type ProcessIdentity } from './compile.ts';
export {
  diffBaselines,
  entryKey,
  formatBaseline,
  formatDiff,
  baselineFromFindings,
  mergeBaselines,
  type BaselineDiff,
  type EntryChange,
  type LearnOptions,
  type LearnSkip,
  type LearnSource,
} from './learn.ts';
