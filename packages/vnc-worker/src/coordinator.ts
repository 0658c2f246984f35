/**
 * `VncCoordinator`: one listener, many RFB clients, one framebuffer.
 *
 * It accepts connections (enforcing the client limit before a single RFB byte is sent), applies
 * the shared-flag policy when a client finishes its handshake, and fans out "what changed":
 * device dirt rectangles (from the guest's DIRT messages) go to every client's own dirty
 * bitmap; without device dirt, a periodic tile diff over the framebuffer finds changes once for
 * all clients. Each client sends when it has asked, so a slow client only delays itself and
 * never loses a region: its bitmap keeps accumulating until it asks again.
 */

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { type DirtyRect, type InputSink, type Logger, type PointerShape, silentLogger } from '@openvmm-vnc-ts/video-core';
import {
  type CursorImage,
  DamageFilter,
  DEFAULT_CURSOR,
  DirtyBitmap,
  type FramebufferSource,
  HIDDEN_CURSOR,
  type LedState,
  MoveDetector,
  type RfbTransport,
  TileDiffer,
  VncConnection,
  cursorFromPointerShape,
  createVncTlsContexts,
  type VncTlsContexts,
} from '@openvmm-vnc-ts/vnc';
import { type VncParameters, isLoopbackHost } from '@openvmm-vnc-ts/vnc-worker-defs';
import { AuthThrottle } from './auth-throttle.js';
import { CloseCode, WebAcceptor, WebSocketStream } from './web/index.js';

/** Most connections being classified or served HTTP at once. */
const MAX_PENDING_WEB = 256;

/** A framebuffer the coordinator can serve; `onFormat` (if present) reports resolution changes. */
export interface CoordinatorFramebuffer extends FramebufferSource {
  /** Subscribes to resolution changes; returns the unsubscribe function. */
  onFormat?(listener: () => void): () => void;
}

/** What the coordinator is connected to. */
export interface CoordinatorChannels {
  /** The screen. */
  framebuffer: CoordinatorFramebuffer;
  /** Where every client's keyboard and mouse events go (merged into one VM). */
  input: InputSink;
}

interface Client {
  readonly id: number;
  readonly conn: VncConnection;
  readonly remote: string;
}

/** The multi-client VNC server. */
export class VncCoordinator {
  private readonly server: Server;
  private readonly clients: Client[] = [];
  private readonly log: Logger;
  private readonly differ = new TileDiffer();
  /** Finds scrolls and moves in device dirt for CopyRect clients (its shadow exists only while one is connected). */
  private readonly moveDetector = new MoveDetector();
  /** Device dirt is compared with the last frame before Raw and Zlib clients get it. */
  private readonly damage = new DamageFilter();
  private readonly diffBitmap = new DirtyBitmap(0, 0);
  private readonly diffRects: { x: number; y: number; w: number; h: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribeFormat: (() => void) | undefined;
  private nextId = 0;
  private stopped = false;
  /** The damage filter's JavaScript fallback has been logged (see {@link VncCoordinator.noteDamageEngine}). */
  private damageEngineNoted = false;
  private cursor: CursorImage = DEFAULT_CURSOR;
  private readonly authThrottle = new AuthThrottle();
  /** Classifies new connections (raw RFB, WebSocket, HTTP); absent when detection is off. */
  private readonly web: WebAcceptor | undefined;
  /** TLS contexts (VeNCrypt, HTTPS/wss), when a certificate is configured. */
  private readonly tls: VncTlsContexts | undefined;
  /** Sockets still being classified or served HTTP (destroyed on stop). */
  private readonly unclassified = new Set<Socket>();
  /** With a password and evictOldest: the newcomer over the limit whose login will evict the oldest. */
  private provisional: Client | undefined;
  private pointerVisible = true;
  private leds: LedState | undefined;
  private deviceDirtSeen = false;
  private stats = { accepted: 0, rejected: 0, evicted: 0, dirtMessages: 0, dirtRects: 0, diffPasses: 0, authFailures: 0, authBlocked: 0, handledWeb: 0 };

  private constructor(
    private readonly params: VncParameters,
    private readonly channels: CoordinatorChannels,
    logger: Logger,
  ) {
    this.log = logger;
    this.server = createServer({ noDelay: true }, (socket) => this.onSocket(socket));
    this.tls = params.tls ? createVncTlsContexts(params.tls) : undefined;
    this.web =
      params.sniffWindowMs > 0
        ? new WebAcceptor({ sniffWindowMs: params.sniffWindowMs, enableHttp: params.webConsole, logger: logger.child('web'), ...(this.tls ? { tls: this.tls.x509 } : {}) })
        : undefined;
    this.unsubscribeFormat = channels.framebuffer.onFormat?.(() => {
      // Every client re-reads the whole new frame; snapshot it now so the next diff reports
      // only what changes after this point.
      if (!this.deviceDirtSeen && this.clients.length > 0) this.differ.prime(channels.framebuffer);
      this.moveDetector.invalidate();
      // Every client is marked below: the one moment the damage snapshot may be taken.
      if (this.deviceDirtSeen && this.clients.some((c) => c.conn.takesComparedDirt)) this.damage.prime(channels.framebuffer);
      else this.damage.reset();
      // A new format can keep the size (a new offset or stride: page flipping) or change and
      // change back before a client's next update; either way its picture is stale: resend all.
      for (const c of this.clients) c.conn.markAllDirty();
    });
  }

  /** Starts listening as `params.listener` says; resolves once bound. Rejects if the bind fails. */
  static async start(params: VncParameters, channels: CoordinatorChannels, logger: Logger = silentLogger): Promise<VncCoordinator> {
    const c = new VncCoordinator(params, channels, logger);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      c.server.once('error', onError);
      c.server.listen({ host: params.listener.host, port: params.listener.port, backlog: 128 }, () => {
        c.server.off('error', onError);
        c.server.on('error', (err) => c.log.error('listener error', { error: err.message }));
        resolve();
      });
    }).catch((err: unknown) => {
      c.dispose();
      throw err;
    });
    return c;
  }

  /** The bound address (useful with port 0). */
  address(): { host: string; port: number } {
    const a = this.server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  /** Number of connected clients. */
  get clientCount(): number {
    return this.clients.length;
  }

  /** Device dirt: the guest changed these rectangles. Reaches every client. */
  dirt(rects: readonly DirtyRect[]): void {
    // The tile differ's snapshot is good for comparing DIRT only now, as tile diff stops.
    const diffed = this.deviceDirtSeen ? undefined : this.differ.handOver();
    if (!this.deviceDirtSeen) this.log.debug('device dirt seen; tile diff off');
    this.deviceDirtSeen = true;
    this.updateTimer();
    this.stats.dirtMessages++;
    this.stats.dirtRects += rects.length;
    const copyClients = this.clients.some((c) => c.conn.takesCopyRect);
    const moves = this.moveDetector.observe(this.channels.framebuffer, rects, copyClients);
    const shadow = copyClients ? this.moveDetector.shadow : undefined;
    const changed = this.changedParts(rects, diffed);
    this.noteDamageEngine();
    for (const c of this.clients) c.conn.markDirtyBatch(c.conn.takesComparedDirt ? changed : rects, moves, shadow);
  }

  /** Says once when the damage filter had to fall back to JavaScript (no WebAssembly memory). */
  private noteDamageEngine(): void {
    if (this.damageEngineNoted || this.damage.engine !== 'js') return;
    this.damageEngineNoted = true;
    this.log.warn('no WebAssembly memory could be allocated (an address-space limit such as ulimit -v?); the damage filter compares in JavaScript, more slowly');
  }

  /**
   * The parts of `rects` whose pixels changed ({@link DamageFilter}), for the clients that take
   * them (Raw and Zlib without CopyRect). With none, nothing is compared and the snapshot is
   * dropped: it would go stale, and a stale snapshot can hide a change (a pixel changed and then
   * changed back). On the first DIRT the tile differ's snapshot (`diffed`) is taken over: clients
   * connected before the guest sent DIRT were served by tile diff, and every change it found went
   * to every client. Otherwise, without a snapshot, one is taken and those clients resend the
   * whole screen, which is what makes it safe to compare against.
   */
  private changedParts(rects: readonly DirtyRect[], diffed: { data: Uint8Array; width: number; height: number } | undefined): readonly DirtyRect[] {
    const fb = this.channels.framebuffer;
    if (!this.clients.some((c) => c.conn.takesComparedDirt)) {
      this.damage.reset();
      return rects;
    }
    if (!this.damage.isPrimedFor(fb)) {
      if (diffed && diffed.width === fb.width && diffed.height === fb.height) this.damage.adopt(diffed.data, diffed.width, diffed.height);
      else {
        this.damage.prime(fb);
        for (const c of this.clients) if (c.conn.takesComparedDirt) c.conn.markAllDirty();
        return rects;
      }
    }
    return this.damage.filter(fb, rects);
  }

  /** The dirt channel closed: go back to finding changes by tile diff. */
  dirtClosed(): void {
    if (!this.deviceDirtSeen) return;
    this.deviceDirtSeen = false;
    this.differ.reset();
    this.moveDetector.invalidate();
    this.damage.reset();
    this.log.info('device dirt channel closed; falling back to tile diff');
    this.updateTimer();
  }

  /** The guest's pointer shape: every client that takes the Cursor pseudo-encoding gets it. */
  setPointerShape(shape: PointerShape): void {
    this.cursor = cursorFromPointerShape(shape);
    if (this.pointerVisible) for (const c of this.clients) c.conn.setCursor(this.cursor);
  }

  /** The guest's keyboard lock LEDs: every client that takes QEMU LED State gets them. */
  setLeds(leds: LedState): void {
    this.leds = leds;
    for (const c of this.clients) c.conn.setLeds(leds);
  }

  /** The guest showed or hid its pointer. */
  setPointerVisible(visible: boolean): void {
    if (visible === this.pointerVisible) return;
    this.pointerVisible = visible;
    for (const c of this.clients) c.conn.setCursor(visible ? this.cursor : HIDDEN_CURSOR);
  }

  /**
   * Disconnects every client but keeps listening, as OpenVMM's worker restart does: the same
   * socket and parameters serve the next clients.
   */
  restart(): void {
    for (const c of [...this.clients]) {
      this.remove(c);
      c.conn.close();
    }
    this.differ.reset();
    this.moveDetector.invalidate();
    this.damage.reset();
    this.log.info('restarted: all clients disconnected, listener kept');
  }

  /** The parameters this coordinator runs with (what a restart hands back). */
  get parameters(): VncParameters {
    return this.params;
  }

  /** Stops listening and disconnects every client. */
  async stop(): Promise<void> {
    this.dispose();
    for (const s of this.unclassified) s.destroy();
    this.unclassified.clear();
    for (const c of [...this.clients]) c.conn.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A plain snapshot of live state. */
  inspect(): Record<string, unknown> {
    return {
      localAddr: this.server.listening ? this.address() : undefined,
      clientCount: this.clients.length,
      dirtSource: this.deviceDirtSeen ? 'device' : 'tile-diff',
      diffTimer: this.timer !== undefined,
      ...this.stats,
      moveDetector: { shadow: this.moveDetector.shadow.active, ...this.moveDetector.counters },
      damageFilter: { snapshot: this.damage.isPrimedFor(this.channels.framebuffer), engine: this.damage.engine, ...this.damage.counters },
      clients: this.clients.map((c) => ({ id: c.id, remote: c.remote, ...c.conn.inspect() })),
    };
  }

  private dispose(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribeFormat?.();
  }

  /** The diff timer runs only while it has work: clients connected and no device dirt. */
  private updateTimer(): void {
    const needed = !this.stopped && this.clients.length > 0 && !this.deviceDirtSeen;
    if (needed && !this.timer) {
      this.timer = setInterval(() => this.tick(), this.params.updateIntervalMs);
      this.timer.unref?.();
    } else if (!needed && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /**
   * A new TCP connection: refuse a blocked address at once, then (unless detection is off) let
   * the web acceptor tell raw RFB from WebSocket and plain HTTP before RFB starts.
   */
  private onSocket(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const blocked = this.authThrottle.blockedFor(address);
    if (blocked > 0) {
      this.stats.authBlocked++;
      this.log.limited('warn', `auth-blocked:${address}`, 'connection refused: too many failed authentications', { address, blockedMs: blocked });
      socket.destroy();
      return;
    }
    if (!this.web) {
      this.accept(socket, 'rfb');
      return;
    }
    if (this.web.pending >= MAX_PENDING_WEB) {
      this.log.limited('warn', 'web-pending', 'connection refused: too many connections still being classified', { address });
      socket.destroy();
      return;
    }
    this.unclassified.add(socket);
    void this.web.accept(socket).then((r) => {
      this.unclassified.delete(socket);
      if (r.kind === 'handled') {
        // Plain HTTP served, or the peer left before saying what it was.
        this.stats.handledWeb++;
        return;
      }
      if (this.stopped) {
        r.stream.destroy();
        return;
      }
      this.accept(r.stream, r.kind, r.encrypted === true);
    });
  }

  /**
   * Serves one RFB client. `encrypted`: its transport is already TLS (wss://, RFB over TLS): it
   * is offered the plain types (None, or VNC Authentication) only. Otherwise, with TLS configured,
   * VeNCrypt is offered first, and the plain type beside it only to loopback peers.
   */
  private accept(socket: RfbTransport, kind: 'rfb' | 'websocket', encrypted = false): void {
    const address = socket.remoteAddress ?? '';
    const remote = `${address}:${socket.remotePort}${kind === 'websocket' ? ' (websocket)' : ''}${encrypted ? ' (tls)' : ''}`;
    const { maxClients, evictOldest } = this.params;
    // With a password, eviction waits until the newcomer has authenticated (one such newcomer at
    // a time, above the limit): a connection without the password must not push out a viewer.
    let evictOnReady = false;
    if (this.clients.length >= maxClients) {
      const oldest = this.clients[0];
      const deferred = this.params.password !== undefined;
      if (!evictOldest || !oldest || (deferred && this.provisional !== undefined)) {
        this.stats.rejected++;
        this.log.limited('warn', 'client-limit', 'connection refused: client limit reached', { remote, maxClients });
        if (socket instanceof WebSocketStream) socket.close(CloseCode.TRY_AGAIN_LATER, 'client limit reached');
        else socket.destroy();
        return;
      }
      if (deferred) evictOnReady = true;
      else this.evict(oldest, remote);
    }
    // The newcomer's first update reads the whole frame; make sure a snapshot predates it so
    // that tile diff misses nothing that changes in between.
    if (!this.deviceDirtSeen && !this.differ.isPrimedFor(this.channels.framebuffer)) this.differ.prime(this.channels.framebuffer);
    // The only client will read the whole frame: the damage snapshot may be taken now (see
    // DamageFilter), which spares it a second full frame at the next DIRT.
    if (this.deviceDirtSeen && this.clients.length === 0) this.damage.prime(this.channels.framebuffer);
    this.noteDamageEngine();
    const id = this.nextId++;
    const conn = new VncConnection(socket, {
      framebuffer: this.channels.framebuffer,
      input: this.channels.input,
      name: this.params.desktopName,
      // Over wss:// or RFB-over-TLS the transport is encrypted already: no VeNCrypt inside it
      // (noVNC cannot do TLS inside a WebSocket and would fail on it), just the plain types.
      ...(this.tls && !encrypted ? { tls: this.tls, plainSecurity: isLoopbackHost(address) } : {}),
      ...(this.params.password !== undefined ? { password: this.params.password, isAuthBlocked: () => this.authThrottle.blockedFor(address) > 0 } : {}),
      logger: this.log.child('vnc', { client: id }),
    });
    conn.setCursor(this.pointerVisible ? this.cursor : HIDDEN_CURSOR);
    if (this.leds) conn.setLeds(this.leds);
    const client: Client = { id, conn, remote };
    this.clients.push(client);
    if (evictOnReady) this.provisional = client;
    this.updateTimer();
    this.stats.accepted++;
    this.log.info('client connected', { id, remote, clients: this.clients.length });
    conn.on('ready', (shared) => {
      if (this.provisional === client) {
        this.provisional = undefined;
        const oldest = this.clients.find((c) => c !== client);
        if (oldest) this.evict(oldest, remote);
      }
      this.onReady(client, shared);
    });
    conn.on('auth', (ok) => {
      if (ok) {
        this.authThrottle.success(address);
        return;
      }
      this.stats.authFailures++;
      const blockMs = this.authThrottle.failure(address);
      this.log.limited('warn', `auth-failed:${address}`, 'VNC authentication failed', { remote, blockMs });
    });
    conn.on('close', (err) => {
      if (this.provisional === client) this.provisional = undefined;
      this.remove(client);
      this.log.info('client disconnected', { id, remote, reason: err?.message, clients: this.clients.length });
    });
  }

  private evict(oldest: Client, newcomer: string): void {
    this.stats.evicted++;
    this.log.warn('client limit reached; disconnecting the oldest client', { evicted: oldest.remote, id: oldest.id, newcomer });
    this.remove(oldest);
    oldest.conn.close();
  }

  private onReady(client: Client, shared: boolean): void {
    if (shared) return;
    switch (this.params.sharedPolicy) {
      case 'share-all':
        return;
      case 'refuse-exclusive':
        this.log.warn('client asked for exclusive access; refused by policy', { id: client.id, remote: client.remote });
        client.conn.close();
        return;
      case 'spec':
        for (const other of [...this.clients]) {
          if (other === client) continue;
          this.log.warn('exclusive client connected; disconnecting another client', { id: other.id, remote: other.remote, by: client.remote });
          this.remove(other);
          other.conn.close();
        }
    }
  }

  private remove(client: Client): void {
    const i = this.clients.indexOf(client);
    if (i >= 0) this.clients.splice(i, 1);
    // Nobody left to compare for: free the snapshot (the next first client takes a new one).
    if (this.clients.length === 0) this.damage.reset();
    this.updateTimer();
  }

  /** Without device dirt: one tile diff per interval, shared by every client. */
  private tick(): void {
    if (this.deviceDirtSeen || this.clients.length === 0) return;
    this.stats.diffPasses++;
    this.diffBitmap.clear();
    let marked: number;
    try {
      marked = this.differ.diff(this.channels.framebuffer, this.diffBitmap);
    } catch (err) {
      // A framebuffer source that changes under a running diff: start over, resend everything.
      this.log.limited('warn', 'diff-failed', 'tile diff failed; resending the whole screen', { error: String(err) });
      this.differ.reset();
      for (const c of this.clients) c.conn.markAllDirty();
      return;
    }
    if (marked === 0) return;
    // What the pass found is a batch like a DIRT message: moves are looked for the same way.
    const rects = this.diffBitmap.toRects(this.diffRects).map((r) => ({ left: r.x, top: r.y, right: r.x + r.w, bottom: r.y + r.h }));
    const copyClients = this.clients.some((c) => c.conn.takesCopyRect);
    const moves = this.moveDetector.observe(this.channels.framebuffer, rects, copyClients);
    const shadow = copyClients ? this.moveDetector.shadow : undefined;
    for (const c of this.clients) c.conn.markDirtyBatch(rects, moves, shadow, 'diff');
  }
}
