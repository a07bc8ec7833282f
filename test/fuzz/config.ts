/**
 * Fuzzing budget: a fixed seed and a small budget in `npm test`, a much larger
 * one with FUZZ_LONG=1 (`npm run fuzz`). FUZZ_SEED replays a failure reported
 * by a long run.
 */
export const LONG = process.env.FUZZ_LONG === '1';
export const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 0x5ec;

/** fast-check parameters for a property: `runs` in npm test, 50 times more in a long run. */
export function budget(runs: number): { seed: number; numRuns: number } {
  return { seed: SEED, numRuns: LONG ? runs * 50 : runs };
}

/** Timeout for a test whose budget is `ms` in npm test. */
export function timeout(ms: number): number {
  return LONG ? ms * 60 : ms;
}
