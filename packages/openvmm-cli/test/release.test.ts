/**
 * Releases package by package: in a scratch clone of the repository, `changeset version` turns
 * the pending changesets into per-package versions and CHANGELOGs (private packages untouched,
 * no `fixed` group moving everything together), and `pnpm -r publish --dry-run` accepts every
 * public package.
 */

import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, pinnedPnpm } from './helpers/cli-process.js';

const run = promisify(execFile);
const PUBLIC = ['video-core', 'vnc', 'vnc-worker-defs', 'vnc-worker', 'openvmm-cli'];

/** Packages named in the pending changesets' front matter. */
function pendingPackages(root: string): Set<string> {
  const names = new Set<string>();
  const dir = join(root, '.changeset');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
    const front = readFileSync(join(dir, f), 'utf8').split('---')[1] ?? '';
    for (const m of front.matchAll(/"@openvmm-vnc-ts\/([\w-]+)":/g)) names.add(m[1]!);
  }
  return names;
}

const version = (root: string, dir: string): string => (JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { version: string }).version;

describe('release', () => {
  it('changeset version bumps exactly the packages with changesets; publish --dry-run passes', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'openvmm-vnc-release-')), 'repo');
    await run('git', ['clone', '-q', REPO_ROOT, dir], { timeout: 60_000 });
    const [pnpm, pre] = pinnedPnpm();
    const pn = (args: string[]) => run(pnpm, [...pre, ...args], { cwd: dir, timeout: 180_000, env: { ...process.env, CI: 'true' } });
    await pn(['install', '--frozen-lockfile', '--prefer-offline']);
    const pending = pendingPackages(dir);
    const before = Object.fromEntries(PUBLIC.map((p) => [p, version(dir, `packages/${p}`)]));
    const privateBefore = [version(dir, 'bench'), version(dir, 'examples')];
    await pn(['exec', 'changeset', 'version']);
    for (const p of PUBLIC) {
      const changed = version(dir, `packages/${p}`) !== before[p];
      expect(changed, `${p} version changed`).toBe(pending.has(p));
      if (pending.has(p)) expect(existsSync(join(dir, 'packages', p, 'CHANGELOG.md')), `${p} CHANGELOG.md`).toBe(true);
    }
    expect([version(dir, 'bench'), version(dir, 'examples')]).toEqual(privateBefore);
    await pn(['run', 'build']);
    const { stdout, stderr } = await pn(['-r', 'publish', '--dry-run', '--no-git-checks']);
    for (const p of PUBLIC) expect(`${stdout}${stderr}`).toContain(`@openvmm-vnc-ts/${p}@`);
  }, 400_000);
});
