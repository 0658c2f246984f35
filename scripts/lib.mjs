// Shared helpers for the root scripts (start.mjs, test.mjs): find pnpm, run commands.
// Only Node.js and npm are assumed; pnpm is used from PATH when it is the pinned major,
// otherwise through `npx pnpm@<pinned>` (npm caches it after the first run).
import { spawnSync, spawn } from 'node:child_process';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];

/** The command prefix that runs the pinned pnpm. */
export function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === pinned) return ['pnpm'];
  return ['npx', '--yes', `pnpm@${pinned}`];
}

/** Runs a command with inherited stdio; returns its exit code. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) {
    console.error(`${cmd}: ${r.error.message}`);
    return 127;
  }
  return r.status ?? 1;
}

/** Runs pnpm with `args`; exits the process on failure. */
export function pnpm(args, opts = {}) {
  const [cmd, ...pre] = pnpmCommand();
  const code = run(cmd, [...pre, ...args], opts);
  if (code !== 0) {
    console.error(`pnpm ${args.join(' ')} failed (exit ${code})`);
    process.exit(code);
  }
}

/** Installs dependencies when node_modules is missing or older than the lockfile. */
export function ensureInstalled() {
  const marker = join(root, 'node_modules', '.modules.yaml');
  const lock = join(root, 'pnpm-lock.yaml');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  pnpm(['install', '--frozen-lockfile']);
}

export { spawn };
