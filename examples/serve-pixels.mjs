// Serve a pixel buffer your program owns over VNC with @openvmm-vnc-ts/vnc alone: a bouncing
// square on 320x200. Run: node examples/serve-pixels.mjs [port], then open a viewer on it.
import { createServer } from 'node:net';
import { VncConnection } from '@openvmm-vnc-ts/vnc';

const W = 320, H = 200, pixels = new Uint32Array(W * H); // 0x00RRGGBB, little-endian in memory
const bytes = new Uint8Array(pixels.buffer);
const framebuffer = {
  width: W, height: H,
  readRow: (y, x, w, dst, off) => dst.set(bytes.subarray((y * W + x) * 4, (y * W + x + w) * 4), off),
};
const clients = new Set();
const server = createServer((socket) => {
  const c = new VncConnection(socket, { framebuffer, input: { send: (e) => console.log('input', e) }, name: 'pixels' });
  clients.add(c);
  c.on('close', () => clients.delete(c));
}).listen(Number(process.argv[2] ?? 5900), '127.0.0.1', () => console.log(`listening on 127.0.0.1:${server.address().port}`));
let t = 0;
const draw = () => {
  const x = Math.abs(((t += 4) % (2 * (W - 20))) - (W - 20)), y = Math.abs((t % (2 * (H - 20))) - (H - 20));
  pixels.fill(0x203040);
  for (let r = 0; r < 20; r++) pixels.fill(0xffcc00, (y + r) * W + x, (y + r) * W + x + 20);
  for (const c of clients) c.markDirty(0, 0, W, H);
};
draw();
setInterval(draw, 50);
