/**
 * The vitest settings every package shares: tests under test/, generous timeouts that only
 * guard against hangs (no test asserts a speed), and a JSON report per package that the root
 * test command sums into its closing `N passed, N failed` line.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
  },
});
