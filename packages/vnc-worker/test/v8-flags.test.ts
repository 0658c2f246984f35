/**
 * The process-wide V8 flags the CLI sets before starting its threads. `v8.setFlagsFromString`
 * ignores a flag V8 does not know, so each one is checked the way node itself checks its
 * command line (an unknown V8 option makes `node` exit with an error), and setting them in a
 * process that then starts a worker thread must leave that worker fully working.
 */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VNC_PROCESS_V8_FLAGS } from '../src/thread/v8-flags.js';

describe('VNC process V8 flags', () => {
  it('names only flags this node accepts', () => {
    expect(VNC_PROCESS_V8_FLAGS.length).toBeGreaterThan(0);
    for (const flag of VNC_PROCESS_V8_FLAGS) {
      const r = spawnSync(process.execPath, [flag, '-e', '0'], { encoding: 'utf8' });
      expect(r.status, `${flag}: ${r.stderr}`).toBe(0);
    }
    // The check itself works: a misspelt flag is refused.
    expect(spawnSync(process.execPath, ['--no-memory-reducerr', '-e', '0']).status).not.toBe(0);
  });

  it('the CLI executable starts node with exactly these flags (its shebang), as the main thread needs them', () => {
    const bin = readFileSync(new URL('../../openvmm-cli/src/bin.ts', import.meta.url), 'utf8');
    const shebang = bin.split('\n')[0]!;
    expect(shebang.startsWith('#!/usr/bin/env -S node ')).toBe(true);
    expect(shebang.slice('#!/usr/bin/env -S node '.length).split(' ')).toEqual([...VNC_PROCESS_V8_FLAGS]);
  });

  it('set at run time, a worker started afterwards runs and collects garbage', () => {
    const moduleUrl = new URL('../dist/thread/v8-flags.js', import.meta.url).href;
    const script = `(async () => {
      const { applyVncProcessV8Flags } = await import(${JSON.stringify(moduleUrl)});
      const { Worker } = require('node:worker_threads');
      applyVncProcessV8Flags();
      const w = new Worker("const { parentPort } = require('node:worker_threads'); let keep = 0; for (let i = 0; i < 200000; i++) keep += new Array(16).fill(i).length; parentPort.postMessage(keep);", { eval: true });
      w.on('message', (m) => { console.log('worker said', m); w.terminate(); });
    })();`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`worker said ${200000 * 16}`);
  });
});
