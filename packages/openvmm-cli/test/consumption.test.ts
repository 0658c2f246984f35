/**
 * Consumed package by package: `pnpm pack` every package, install the tarballs into a scratch
 * project outside the workspace with npm, and use them the way another workspace would. Fails
 * when an `exports` or `files` entry, a shipped worker file, or a dependency is missing.
 */

import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, pinnedPnpm } from './helpers/cli-process.js';

const run = promisify(execFile);
const PACKAGES = ['video-core', 'vnc', 'vnc-worker-defs', 'vnc-worker', 'openvmm-cli'];

const CONSUMER = `
import { FramebufferView, Vram, spawnGuestThread, SynthvidDevice } from '@openvmm-vnc-ts/video-core';
import { VncConnection, DirtyBitmap } from '@openvmm-vnc-ts/vnc';
import { VncWorker, formatChannel, dirtChannel } from '@openvmm-vnc-ts/vnc-worker';
import { defaultVncParameters } from '@openvmm-vnc-ts/vnc-worker-defs';
import { parseCli } from '@openvmm-vnc-ts/openvmm-cli';
import { connect } from 'node:net';

if (typeof VncConnection !== 'function' || typeof DirtyBitmap !== 'function') throw new Error('vnc exports missing');
if (parseCli(['--gfx']).kind !== 'run') throw new Error('openvmm-cli parseCli broken');
const vram = new Vram();
const view = new FramebufferView(vram);
const guest = await spawnGuestThread('test-card', vram);      // ships dist/guest/worker-entry.js
const dirt = dirtChannel();
const device = new SynthvidDevice({ port: guest.video, view, onDirt: (r) => dirt.sender.send(r) });
const worker = await VncWorker.start({                            // ships dist/thread/worker-main.js
  params: defaultVncParameters({ listener: { host: '127.0.0.1', port: 0 } }),
  channels: { vram: vram.buffer, format: view.format, formatPort: formatChannel(view), input: guest.input, dirt: dirt.port },
});
const greeting = await new Promise((resolve, reject) => {
  const s = connect(worker.port, '127.0.0.1');
  s.once('data', (d) => { resolve(d.toString('latin1')); s.destroy(); });
  s.once('error', reject);
});
await worker.stop();
device.close();
await guest.terminate();
console.log(JSON.stringify({ greeting }));
`;

describe('consumption from packed tarballs', () => {
  it('installs every package from its tarball outside the workspace and runs them together', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openvmm-vnc-consumer-'));
    const [pnpm, pre] = pinnedPnpm();
    for (const p of PACKAGES) await run(pnpm, [...pre, 'pack', '--pack-destination', dir], { cwd: join(REPO_ROOT, 'packages', p), timeout: 120_000 });
    const tarballs = readdirSync(dir).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toHaveLength(PACKAGES.length);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs.map((t) => `./${t}`)], { cwd: dir, timeout: 240_000 });
    writeFileSync(join(dir, 'consumer.mjs'), CONSUMER);
    const { stdout } = await run(process.execPath, ['consumer.mjs'], { cwd: dir, timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ greeting: 'RFB 003.008\n' });
    const help = await run(join(dir, 'node_modules', '.bin', 'openvmm-cli'), ['--help'], { cwd: dir, timeout: 30_000 });
    expect(help.stdout).toContain('--vnc-listen');
  }, 400_000);
});
