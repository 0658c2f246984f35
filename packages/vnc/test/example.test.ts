/**
 * The library example (`examples/serve-pixels.mjs`, `vnc` alone serving a program's own pixel
 * buffer) runs as a user runs it, and an RFB client sees its picture.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RfbTestClient } from './helpers/rfb-client.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/serve-pixels.mjs', import.meta.url));
let proc: ChildProcess | undefined;
afterEach(() => {
  proc?.kill('SIGKILL');
  proc = undefined;
});

describe('examples/serve-pixels.mjs', () => {
  it('serves its 320x200 buffer with the bouncing square to a real RFB client', async () => {
    proc = spawn(process.execPath, [EXAMPLE, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      proc!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      proc!.once('exit', (code) => reject(new Error(`example exited ${code}`)));
    });
    const c = await RfbTestClient.connect(port);
    try {
      const { init } = await c.handshake('3.8');
      expect([init.width, init.height, init.name]).toEqual([320, 200, 'pixels']);
      c.requestUpdate(false, 0, 0, 320, 200);
      const [rect] = await c.readUpdate();
      expect([rect!.w, rect!.h]).toEqual([320, 200]);
      const px = new Uint32Array(rect!.data.buffer.slice(rect!.data.byteOffset, rect!.data.byteOffset + rect!.data.length));
      const colours = new Map<number, number>();
      for (const p of px) colours.set(p & 0xffffff, (colours.get(p & 0xffffff) ?? 0) + 1);
      expect(colours.get(0xffcc00)).toBe(400); // the 20x20 square
      expect(colours.get(0x203040)).toBe(320 * 200 - 400);
    } finally {
      c.destroy();
    }
  });
});
