/** The documentation names only options, error codes and paths that exist. */

import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { OPTION_GROUPS } from '../src/options.js';
import { renderCliReference } from '../src/cli-reference.js';
import { VNC_PROCESS_V8_FLAGS } from '@openvmm-vnc-ts/vnc-worker';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const read = (p: string): string => readFileSync(`${ROOT}/${p}`, 'utf8');

describe('docs', () => {
  it('docs/cli.md is exactly what the option table renders (run scripts/gen-cli-doc.mjs)', () => {
    expect(read('docs/cli.md')).toBe(renderCliReference());
  });

  it('every --option named in the README and docs exists (pnpm\'s own --filter and node\'s V8 flags aside)', () => {
    const known = new Set<string>([...OPTION_GROUPS.flatMap((g) => g.options.map((o) => o.name)), ...VNC_PROCESS_V8_FLAGS.map((f) => f.split('=')[0]!)]);
    for (const file of ['README.md', 'docs/architecture.md', 'docs/clients.md', 'docs/keyboard.md', 'docs/errors.md']) {
      for (const m of read(file).matchAll(/(?<![\w-])--[a-z][a-z0-9-]+/g)) {
        if (['--help', '--filter'].includes(m[0]) || known.has(m[0])) continue;
        throw new Error(`${file} names ${m[0]}, which is not an option`);
      }
    }
  });

  it('every error code in docs/errors.md is defined in a package source', () => {
    const sources = [
      'packages/vnc/src/errors.ts',
      'packages/video-core/src/synthvid/errors.ts',
      'packages/vnc-worker-defs/src/errors.ts',
    ].map(read).join('\n');
    const codes = [...read('docs/errors.md').matchAll(/`((?:VNC|SYNTHVID)_[A-Z_]+)`/g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(10);
    for (const c of codes) expect(sources, c).toContain(`'${c}'`);
  });

  it('every repository path the docs mention exists', () => {
    for (const file of ['README.md', 'docs/index.md', 'docs/clients.md', 'docs/keyboard.md']) {
      for (const m of read(file).matchAll(/(?:\]\(|`)((?:packages|docs|scripts)\/[\w./-]+?)(?:\)|`)/g)) {
        expect(existsSync(`${ROOT}/${m[1]}`), `${file} mentions ${m[1]}`).toBe(true);
      }
      for (const m of read(file).matchAll(/\]\(([\w-]+\.md)\)/g)) {
        expect(existsSync(`${ROOT}/docs/${m[1]}`), `${file} links ${m[1]}`).toBe(true);
      }
    }
  });

  it('the API reference builds with every exported declaration documented (typedoc, warnings are errors)', async () => {
    const typedoc = `${ROOT}/node_modules/.bin/typedoc`;
    const { stdout, stderr } = await promisify(execFile)(typedoc, ['--treatWarningsAsErrors', '--out', `${ROOT}/node_modules/.cache/api-docs-check`], { cwd: ROOT, timeout: 120_000 });
    expect(`${stdout}${stderr}`).not.toMatch(/warning|error/i);
  }, 150_000);
});
