/**
 * `idle-floor`: what the socket work alone of an idle VNC server costs, in C and in Node, side
 * by side in one run. The `peers` benchmark compares our whole server with Xvnc on an idle
 * desktop with 16 clients; this one asks how much of that any Node server pays before it does
 * anything of its own.
 *
 * The same job for each server, with nothing encoded, compared or copied: 16 clients (in this
 * process, not measured) each keep one 10-byte request outstanding; twice a second every client
 * with a request outstanding gets 1,602 bytes in one write (the idle workload's Raw update is
 * 1,553 to 1,602 bytes) and answers with its next request. Servers:
 * - C: `bench/peers/floor.c`, one epoll loop with a timerfd (built with gcc, like the peers' C);
 * - Node, main thread: `floor-server.ts` with `net` sockets and `setInterval`;
 * - Node, worker thread: the sockets in a worker, the tick from the main thread over a
 *   MessagePort, which is our server's shape (the device on the main thread forwards DIRT to the
 *   VNC worker).
 * Both Node servers run with our server's V8 flags ({@link VNC_PROCESS_V8_FLAGS}). Server CPU
 * comes from /proc (every thread), over a window after a warm-up (FLOOR_WARM_SECONDS, default
 * 30, as the peers' idle 16-client runs; FLOOR_SECONDS, default 10), in FLOOR_ROUNDS rounds
 * (default 2) taken in turn.
 */

import { type Socket, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { VNC_PROCESS_V8_FLAGS } from '@openvmm-vnc-ts/vnc-worker';
import { check, envNum, nowMs, sleep } from './harness.js';
import { buildPeerProgram } from './peers/build.js';
import { type Proc, cpuMs, freePort, startProcess } from './peers/procs.js';
import { type BenchResult, type Benchmark, type Row } from './report.js';
import { smokeOr } from './smoke.js';

const CLIENTS = 16;
const UPDATE_BYTES = 1602;
const INTERVAL_MS = 500;
const REQUEST = Buffer.from([3, 1, 0, 0, 0, 0, 0, 16, 0, 16]); // FramebufferUpdateRequest, incremental

const envSeconds = (name: string, normal: number, smoke: number): number => envNum(name, smokeOr(normal, smoke));

type Kind = 'c' | 'node-main' | 'node-worker';
const LABEL: Record<Kind, string> = { c: 'C, epoll', 'node-main': 'Node, main thread', 'node-worker': 'Node, worker thread' };

function start(kind: Kind, port: number, cBinary: string): Proc {
  const args = [String(port), String(UPDATE_BYTES), String(INTERVAL_MS)];
  if (kind === 'c') return startProcess('floor (C)', cBinary, args);
  const script = fileURLToPath(new URL('./floor-server.js', import.meta.url));
  return startProcess(`floor (${kind})`, process.execPath, [...VNC_PROCESS_V8_FLAGS, script, ...args, kind === 'node-main' ? 'main' : 'worker']);
}

/** One client: keeps a request outstanding and counts whole updates. */
class FloorClient {
  updates = 0;
  private received = 0;
  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.received += d.length;
      while (this.received >= UPDATE_BYTES) {
        this.received -= UPDATE_BYTES;
        this.updates++;
        socket.write(REQUEST);
      }
    });
    socket.write(REQUEST);
  }

  static open(port: number): Promise<FloorClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new FloorClient(s)));
      s.once('error', reject);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

async function measureOnce(kind: Kind, cBinary: string, warmMs: number, windowMs: number): Promise<{ cpuMsPerSec: number; updatesPerSec: number; clientsServed: number }> {
  const port = await freePort();
  const proc = start(kind, port, cBinary);
  const clients: FloorClient[] = [];
  try {
    await proc.waitLine('ready', 10_000);
    for (let i = 0; i < CLIENTS; i++) clients.push(await FloorClient.open(port));
    await sleep(warmMs);
    const each0 = clients.map((c) => c.updates);
    const updates0 = each0.reduce((n, u) => n + u, 0);
    const cpu0 = cpuMs(proc.pid);
    const t0 = nowMs();
    await sleep(windowMs);
    const cpu = cpuMs(proc.pid) - cpu0;
    const secs = (nowMs() - t0) / 1000;
    const updates = clients.reduce((n, c) => n + c.updates, 0) - updates0;
    check(proc.running, `${proc.name} ended early: ${proc.stderr.slice(-400)}`);
    const clientsServed = clients.filter((c, i) => c.updates > each0[i]!).length;
    check(clientsServed === CLIENTS, `${proc.name}: only ${clientsServed} of ${CLIENTS} clients got an update in the window`);
    return { cpuMsPerSec: cpu / secs, updatesPerSec: updates / secs, clientsServed };
  } finally {
    for (const c of clients) c.close();
    await proc.stop();
  }
}

async function run(): Promise<BenchResult> {
  const cBinary = buildPeerProgram('floor');
  const warmMs = envSeconds('FLOOR_WARM_SECONDS', 30, 0.5) * 1000;
  const windowMs = envSeconds('FLOOR_SECONDS', 10, 1) * 1000;
  const rounds = Math.max(1, Math.round(envSeconds('FLOOR_ROUNDS', 2, 1)));
  const kinds: Kind[] = ['c', 'node-main', 'node-worker'];
  const figures = new Map<Kind, { cpuMsPerSec: number; updatesPerSec: number; clientsServed: number }[]>(kinds.map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) for (const k of kinds) figures.get(k)!.push(await measureOnce(k, cBinary, warmMs, windowMs));
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const cMean = mean(figures.get('c')!.map((f) => f.cpuMsPerSec));
  const rows: Row[] = kinds.map((k) => {
    const f = figures.get(k)!;
    const cpu = mean(f.map((x) => x.cpuMsPerSec));
    const ups = mean(f.map((x) => x.updatesPerSec));
    return {
      server: LABEL[k],
      clients: CLIENTS,
      clientsServed: Math.min(...f.map((x) => x.clientsServed)),
      updatesPerSec: ups,
      cpuMsPerSec: cpu,
      rounds: f.map((x) => x.cpuMsPerSec.toFixed(2)).join(' / '),
      usPerUpdate: ups > 0 ? (cpu * 1000) / ups : NaN,
      vsC: cMean > 0 ? cpu / cMean : NaN,
    };
  });
  return {
    name: 'idle-floor',
    title: `Idle floor: ${CLIENTS} clients, a ${UPDATE_BYTES}-byte update each every ${INTERVAL_MS} ms, nothing encoded: server CPU, C vs Node`,
    columns: [
      { key: 'server', header: 'server' },
      { key: 'clients', header: 'clients' },
      { key: 'clientsServed', header: 'served' },
      { key: 'updatesPerSec', header: 'updates/s', format: (v) => v.toFixed(1) },
      { key: 'cpuMsPerSec', header: 'CPU ms/s', format: (v) => v.toFixed(2) },
      { key: 'rounds', header: 'each round' },
      { key: 'usPerUpdate', header: 'CPU µs/update', format: (v) => v.toFixed(1) },
      { key: 'vsC', header: 'x C', format: (v) => `${v.toFixed(2)}x` },
    ],
    rows,
    notes: [
      `${rounds} round(s) in turn; each: ${warmMs / 1000} s warm-up, then ${windowMs / 1000} s measured; CPU = every thread of the server process (/proc).`,
      `Node servers run with ${VNC_PROCESS_V8_FLAGS.join(' ')} (our server's V8 flags). The clients run in the benchmark's own process and are not measured.`,
      'Compare with `peers`, idle with 16 clients over Raw: the whole of Xvnc and of our server doing this job plus DIRT, damage compare, encoding and the guest.',
    ],
  };
}

/** The `idle-floor` benchmark. */
export const idleFloorBenchmark: Benchmark = { name: 'idle-floor', run };
