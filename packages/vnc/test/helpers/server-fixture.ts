/**
 * A loopback server running one VncConnection per accepted socket over a MemFramebuffer, and
 * clients connected to it; everything started here is closed by {@link closeAll} (register it
 * with `afterEach`).
 */
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { VncConnection, type VncConnectionOptions } from '../../src/connection.js';
import { type MemFramebuffer, RecordingSink } from './mem-fb.js';
import { RfbTestClient } from './rfb-client.js';

/** A running test server. */
export interface Fixture {
  server: net.Server;
  port: number;
  fb: MemFramebuffer;
  sink: RecordingSink;
  conns: VncConnection[];
  /** Close events per connection, in order: the error (or undefined). */
  closeErrors: (Error | undefined)[];
}

const servers: net.Server[] = [];
const clients: RfbTestClient[] = [];
const allConns: VncConnection[] = [];

/** Closes every client, connection and server started so far. */
export async function closeAll(): Promise<void> {
  for (const c of clients.splice(0)) c.destroy();
  for (const c of allConns.splice(0)) {
    c.close();
    c.socket.destroy();
  }
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
}

/** Starts a server on 127.0.0.1 (free port) serving `fb`. */
export async function startServer(fb: MemFramebuffer, extra: Partial<VncConnectionOptions> = {}): Promise<Fixture> {
  const sink = new RecordingSink();
  const conns: VncConnection[] = [];
  const closeErrors: (Error | undefined)[] = [];
  const server = net.createServer((sock) => {
    const conn = new VncConnection(sock, { framebuffer: fb, input: sink, ...extra });
    conn.on('close', (err) => closeErrors.push(err));
    conns.push(conn);
    allConns.push(conn);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, fb, sink, conns, closeErrors };
}

/** A client connected to `f` (not yet through the handshake). */
export async function connect(f: Fixture): Promise<RfbTestClient> {
  const c = await RfbTestClient.connect(f.port);
  clients.push(c);
  return c;
}

/** Server started and a client through the 3.8 handshake. */
export async function ready(fb: MemFramebuffer, extra: Partial<VncConnectionOptions> = {}): Promise<{ f: Fixture; c: RfbTestClient; conn: VncConnection }> {
  const f = await startServer(fb, extra);
  const c = await connect(f);
  await c.handshake('3.8');
  return { f, c, conn: f.conns[0]! };
}

/** Waits `ms`. */
export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
