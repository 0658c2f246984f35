/**
 * The Node twin of `bench/peers/floor.c` (the `idle-floor` benchmark): the socket work of an
 * idle VNC server and nothing else, written the plain Node way (`net`, `'data'`,
 * `socket.write`).
 *
 *   node floor-server.js PORT UPDATE_BYTES INTERVAL_MS main|worker
 *
 * Listens on 127.0.0.1:PORT and prints "ready". A client has a request outstanding once
 * something arrived since its last update; every INTERVAL_MS each such client gets
 * UPDATE_BYTES bytes in one write. `main`: sockets and timer on the main thread. `worker`: the
 * sockets live in a worker thread and the tick comes from the main thread over a MessagePort,
 * which is the shape of our server (the device on the main thread forwards each DIRT to the
 * VNC worker). Runs until killed.
 */

import { type Socket, createServer } from 'node:net';
import { MessageChannel, type MessagePort, Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

interface Params {
  port: number;
  updateBytes: number;
  intervalMs: number;
}

/** Serves clients on `p.port`; returns the tick that sends the update to every waiting client. */
function serve(p: Params, onReady: () => void): () => void {
  const waiting = new Set<Socket>();
  const update = Buffer.alloc(p.updateBytes, 0x5a);
  const server = createServer((s) => {
    s.setNoDelay(true);
    s.on('data', () => waiting.add(s));
    s.on('error', () => s.destroy());
    s.on('close', () => waiting.delete(s));
  });
  server.listen(p.port, '127.0.0.1', onReady);
  return () => {
    for (const s of waiting) s.write(update);
    waiting.clear();
  };
}

function main(): void {
  if (!isMainThread) {
    const { params, port } = workerData as { params: Params; port: MessagePort };
    const tick = serve(params, () => parentPort!.postMessage('ready'));
    port.on('message', tick);
    return;
  }
  const [port, updateBytes, intervalMs, mode] = process.argv.slice(2);
  const params: Params = { port: Number(port), updateBytes: Number(updateBytes), intervalMs: Number(intervalMs) };
  if (!Number.isInteger(params.port) || !(params.updateBytes > 0) || !(params.intervalMs > 0) || (mode !== 'main' && mode !== 'worker')) {
    console.error('usage: node floor-server.js PORT UPDATE_BYTES INTERVAL_MS main|worker');
    process.exit(2);
  }
  if (mode === 'main') {
    const tick = serve(params, () => console.log('ready'));
    setInterval(tick, params.intervalMs);
    return;
  }
  const channel = new MessageChannel();
  const worker = new Worker(new URL(import.meta.url), { workerData: { params, port: channel.port2 }, transferList: [channel.port2] });
  worker.on('message', (m) => {
    if (m === 'ready') console.log('ready');
  });
  worker.on('error', (e) => {
    console.error(e);
    process.exit(1);
  });
  setInterval(() => channel.port1.postMessage(0), params.intervalMs);
}

main();
