import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Live tracing tests start real tracers; they must not share the two cores with a parallel flood.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
