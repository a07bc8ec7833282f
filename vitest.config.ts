import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests that start bin/loadtrace.js need the compiled CLI of the current sources.
    globalSetup: ['test/helpers/build.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/**/*.live.test.ts', 'test/**/*.dtrace.test.ts'] },
      },
      {
        // The D compile gate: hundreds of `dtrace -e` runs of about two seconds each, two at a time.
        extends: true,
        test: { name: 'dtrace', include: ['test/**/*.dtrace.test.ts'], maxConcurrency: 2, testTimeout: 180_000 },
      },
      {
        // Live tests start real tracers against real programs: one file at a time, so that
        // two bpftrace sessions never compete for the two cores and lose events to each other.
        extends: true,
        test: { name: 'live', include: ['test/**/*.live.test.ts'], fileParallelism: false },
      },
    ],
  },
});
