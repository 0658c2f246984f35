// `npm test` / `pnpm test`: make sure the real VNC clients are installed (as root it installs
// them with apt; otherwise it stops and prints the exact apt-get line), install and build the
// workspace, run every package's tests, and print one closing line `N passed, N failed`
// summing all packages.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { APT_INSTALL_LINE, APT_PACKAGES, REQUIRED_COMMANDS, REQUIRED_FILES } from './test-deps.mjs';
import { ensureInstalled, pnpmCommand, root, run } from './lib.mjs';

function missingTools() {
  const cmds = REQUIRED_COMMANDS.filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
  const files = REQUIRED_FILES.filter((f) => !existsSync(f));
  return [...cmds, ...files];
}

let missing = missingTools();
if (missing.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(`The end-to-end tests need real VNC clients that are not installed (missing: ${missing.join(', ')}).`);
    console.error(`Install them with:\n\n  ${APT_INSTALL_LINE}\n\nthen run the tests again.`);
    process.exit(1);
  }
  console.log(`Installing the real VNC clients the tests use (missing: ${missing.join(', ')})...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['update', '-qq'], { env }) !== 0 || run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...APT_PACKAGES], { env }) !== 0) {
    console.error(`apt-get failed; install by hand: ${APT_INSTALL_LINE}`);
    process.exit(1);
  }
  missing = missingTools();
  if (missing.length > 0) {
    console.error(`still missing after apt-get: ${missing.join(', ')}`);
    process.exit(1);
  }
}

ensureInstalled();

// Every package under packages/, plus the bench package, whose one test is the benchmarks'
// smoke run (bench/test/smoke.test.ts).
const packagesDir = join(root, 'packages');
const packageDirs = new Map(
  readdirSync(packagesDir)
    .filter((p) => existsSync(join(packagesDir, p, 'package.json')))
    .map((p) => [p, join(packagesDir, p)]),
);
packageDirs.set('bench', join(root, 'bench'));
const packages = [...packageDirs.keys()];
for (const dir of packageDirs.values()) rmSync(join(dir, '.vitest-report.json'), { force: true });

const [cmd, ...pre] = pnpmCommand();
const turboCode = run(cmd, [...pre, 'exec', 'turbo', 'run', 'test', '--concurrency=1', '--continue']);

let passed = 0;
let failed = 0;
for (const p of packages) {
  const file = join(packageDirs.get(p), '.vitest-report.json');
  if (!existsSync(file)) {
    console.error(`${p}: no test report (the test run crashed or never started)`);
    failed++;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  if (report.numTotalTestSuites > 0 && report.success === false && report.numFailedTests === 0) {
    console.error(`${p}: a test file failed to load`);
    failed++;
  }
  console.log(`${p}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || turboCode !== 0 || passed === 0 ? 1 : 0);
