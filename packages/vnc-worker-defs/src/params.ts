/**
 * The VNC worker's parameters: the schema, its defaults and limits, and a strict validator.
 *
 * The launcher (the CLI) builds a {@link VncParameters} value, validates it, and hands it to the
 * worker, possibly across a `worker_threads` or process boundary. The value is therefore plain
 * data: strings, numbers and booleans in plain objects, so it survives `JSON.stringify` /
 * `JSON.parse` and `structuredClone` unchanged. The worker validates again on its side with
 * {@link validateVncParameters}, which accepts only complete, well-typed, in-range objects with no
 * unknown fields.
 *
 * Compared with OpenVMM's `VncParameters`, the listener is an address to bind rather than an
 * already-bound socket, and the desktop name, update interval and shared-flag policy (fixed in
 * OpenVMM) are settable.
 */

import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import { VncParametersError } from './errors.js';

/** The worker's registered name, as in OpenVMM's `VNC_WORKER_TCP`. */
export const VNC_WORKER_ID = 'VncWorkerTcp';

/** The TCP address the worker listens on. */
export interface VncListenerConfig {
  /**
   * An IPv4 or IPv6 literal without brackets (`127.0.0.1`, `::1`), or `localhost`. `0.0.0.0`
   * binds every IPv4 interface; `::` binds dual stack (IPv6 and IPv4-mapped).
   */
  host: string;
  /** TCP port 0..65535; 0 asks the operating system for a free port. */
  port: number;
}

/**
 * What the server does with the shared flag a client sends in ClientInit.
 *
 * - `share-all`: ignore it; every client shares the desktop (OpenVMM's behaviour, the default).
 * - `spec`: follow RFC 6143; a client asking for exclusive access disconnects the others.
 * - `refuse-exclusive`: a client asking for exclusive access is refused; the others stay.
 */
export type SharedPolicy = 'share-all' | 'spec' | 'refuse-exclusive';

/** Every {@link SharedPolicy}, default first. */
export const SHARED_POLICIES: readonly SharedPolicy[] = ['share-all', 'spec', 'refuse-exclusive'];

/** Everything the VNC worker needs to start serving, as plain serialisable data. */
export interface VncParameters {
  /** Where to listen. */
  listener: VncListenerConfig;
  /**
   * Connections allowed at once, 0..1024. At the limit a new connection is dropped before any
   * RFB bytes, unless {@link VncParameters.evictOldest} is set. 0 rejects every connection.
   */
  maxClients: number;
  /** At the limit, disconnect the oldest client instead of refusing the new one. */
  evictOldest: boolean;
  /** How the ClientInit shared flag is treated. */
  sharedPolicy: SharedPolicy;
  /** The desktop name sent in ServerInit, 1..255 bytes of UTF-8. */
  desktopName: string;
  /** Milliseconds between framebuffer update passes, 1..1000 (OpenVMM: 30). */
  updateIntervalMs: number;
  /**
   * Serve the web console (the noVNC page over plain HTTP) on the VNC port. WebSocket clients
   * are accepted either way while {@link VncParameters.sniffWindowMs} is above 0.
   */
  webConsole: boolean;
  /**
   * How long a new connection waits for the client's first byte before it is treated as a raw
   * RFB client (browsers speak first, raw RFB clients second), 0..1000 ms; 0 turns WebSocket
   * and HTTP detection off (raw RFB only, no added latency).
   */
  sniffWindowMs: number;
  /**
   * The VNC Authentication password (1..8 significant bytes of Latin-1; longer is rejected
   * rather than silently cut). When set, security type None is no longer offered. Optional.
   */
  password?: string;
  /**
   * TLS certificate and key (PEM text) for VeNCrypt and the web console's HTTPS/wss. Both or
   * neither; they must load into a TLS context. Optional.
   */
  tls?: VncTlsPem;
}

/** A TLS certificate (chain) and its unencrypted private key, as PEM text. */
export interface VncTlsPem {
  /** The certificate, PEM (a chain may follow it). */
  cert: string;
  /** The private key, PEM, not encrypted. */
  key: string;
}

/** Default bind address: loopback only (the default offers no authentication). */
export const DEFAULT_VNC_HOST = '127.0.0.1';
/** Default TCP port (display :0). */
export const DEFAULT_VNC_PORT = 5900;
/** Default connection limit, as in OpenVMM. */
export const DEFAULT_MAX_CLIENTS = 16;
/** Default shared-flag policy. */
export const DEFAULT_SHARED_POLICY: SharedPolicy = 'share-all';
/** Default desktop name, as in OpenVMM. */
export const DEFAULT_DESKTOP_NAME = 'OpenVMM VM';
/** Default update interval in milliseconds, as in OpenVMM. */
export const DEFAULT_UPDATE_INTERVAL_MS = 30;

/** Inclusive bounds of the numeric parameters (the desktop name's in UTF-8 bytes). */
export const VNC_PARAMETER_LIMITS = {
  port: { min: 0, max: 65535 },
  maxClients: { min: 0, max: 1024 },
  desktopNameBytes: { min: 1, max: 255 },
  updateIntervalMs: { min: 1, max: 1000 },
  sniffWindowMs: { min: 0, max: 1000 },
} as const;

/**
 * Default first-byte window (ms). 40, not the 20 the design aimed for: with 15 ms, 2 of 8 cold
 * first page loads of the web console in Chromium failed; with 25 ms 0 of 8; with 40 ms 0 of 16.
 */
export const DEFAULT_SNIFF_WINDOW_MS = 40;

const PARAMETER_FIELDS = [
  'listener',
  'maxClients',
  'evictOldest',
  'sharedPolicy',
  'desktopName',
  'updateIntervalMs',
  'webConsole',
  'sniffWindowMs',
  'password',
  'tls',
] as const satisfies readonly (keyof VncParameters)[];

const LISTENER_FIELDS = ['host', 'port'] as const satisfies readonly (keyof VncListenerConfig)[];

/** True when `s` is one of {@link SHARED_POLICIES}. */
export function isSharedPolicy(s: unknown): s is SharedPolicy {
  return typeof s === 'string' && (SHARED_POLICIES as readonly string[]).includes(s);
}

/**
 * True when `host` is acceptable as {@link VncListenerConfig.host}: an IPv4 or IPv6 literal
 * (no brackets) as `node:net` `isIP` sees it, or exactly `localhost`.
 */
export function isValidListenHost(host: string): boolean {
  return host === 'localhost' || isIP(host) !== 0;
}

/**
 * A fresh, complete parameter set: the defaults with `overrides` applied, then validated.
 * Override properties that are `undefined` are ignored; `listener` is replaced as a whole.
 *
 * @throws {@link VncParametersError} when an override is invalid or unknown.
 */
export function defaultVncParameters(overrides?: Partial<VncParameters>): VncParameters {
  const merged: Record<string, unknown> = {
    listener: { host: DEFAULT_VNC_HOST, port: DEFAULT_VNC_PORT },
    maxClients: DEFAULT_MAX_CLIENTS,
    evictOldest: false,
    sharedPolicy: DEFAULT_SHARED_POLICY,
    desktopName: DEFAULT_DESKTOP_NAME,
    updateIntervalMs: DEFAULT_UPDATE_INTERVAL_MS,
    webConsole: true,
    sniffWindowMs: DEFAULT_SNIFF_WINDOW_MS,
  };
  if (overrides !== undefined) {
    if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
      throw new VncParametersError('', `overrides must be an object, got ${describe(overrides)}`);
    }
    for (const [key, value] of Object.entries(overrides)) {
      if (value !== undefined) merged[key] = value;
    }
  }
  return validateVncParameters(merged);
}

/**
 * Checks that `input` is a complete {@link VncParameters} and returns a fresh plain copy of it
 * (so later changes to `input` cannot reach the result).
 *
 * Rejects: a non-object, missing fields, unknown fields (at any level), wrong types, NaN and
 * infinities, fractions where an integer is required, values outside the bounds in
 * {@link VNC_PARAMETER_LIMITS}, a host that is neither an IP literal nor `localhost`, an unknown
 * shared policy, and a desktop name that is empty, too long, or not well-formed Unicode.
 *
 * @throws {@link VncParametersError} naming the first offending field, e.g.
 *   `listener.port: must be an integer 0..65535, got 70000`.
 */
export function validateVncParameters(input: unknown): VncParameters {
  const obj = expectRecord(input, '', 'must be an object');
  rejectUnknown(obj, PARAMETER_FIELDS, '');

  const listenerIn = expectRecord(
    required(obj, 'listener', '', 'an object { host, port }'),
    'listener',
    'must be an object { host, port }',
  );
  rejectUnknown(listenerIn, LISTENER_FIELDS, 'listener.');
  const host = required(listenerIn, 'host', 'listener.', 'an IP address or "localhost"');
  if (typeof host !== 'string') {
    fail('listener.host', `must be a string, got ${describe(host)}`);
  }
  if (!isValidListenHost(host)) {
    fail(
      'listener.host',
      `must be an IPv4 or IPv6 literal without brackets, or "localhost", got ${describe(host)}`,
    );
  }
  const port = integer(listenerIn, 'port', 'listener.', VNC_PARAMETER_LIMITS.port);

  const maxClients = integer(obj, 'maxClients', '', VNC_PARAMETER_LIMITS.maxClients);

  const evictOldest = required(obj, 'evictOldest', '', 'a boolean');
  if (typeof evictOldest !== 'boolean') {
    fail('evictOldest', `must be a boolean, got ${describe(evictOldest)}`);
  }

  const policies = SHARED_POLICIES.map((p) => `"${p}"`).join(', ');
  const sharedPolicy = required(obj, 'sharedPolicy', '', `one of ${policies}`);
  if (!isSharedPolicy(sharedPolicy)) {
    fail('sharedPolicy', `must be one of ${policies}, got ${describe(sharedPolicy)}`);
  }

  const desktopName = required(obj, 'desktopName', '', 'a string');
  if (typeof desktopName !== 'string') {
    fail('desktopName', `must be a string, got ${describe(desktopName)}`);
  }
  if (/\p{Cs}/u.test(desktopName)) {
    fail('desktopName', 'must be well-formed Unicode, got a lone surrogate');
  }
  const bytes = Buffer.byteLength(desktopName, 'utf8');
  const nameLimits = VNC_PARAMETER_LIMITS.desktopNameBytes;
  if (bytes < nameLimits.min || bytes > nameLimits.max) {
    fail(
      'desktopName',
      `must be ${nameLimits.min}..${nameLimits.max} bytes of UTF-8, got ${bytes} bytes`,
    );
  }

  const updateIntervalMs = integer(
    obj,
    'updateIntervalMs',
    '',
    VNC_PARAMETER_LIMITS.updateIntervalMs,
  );

  const webConsole = required(obj, 'webConsole', '', 'a boolean');
  if (typeof webConsole !== 'boolean') fail('webConsole', `must be a boolean, got ${describe(webConsole)}`);
  const sniffWindowMs = integer(obj, 'sniffWindowMs', '', VNC_PARAMETER_LIMITS.sniffWindowMs);

  const password = obj['password'];
  if (password !== undefined) {
    if (typeof password !== 'string') fail('password', `must be a string, got ${describe(password)}`);
    // VNC Authentication keys DES with at most 8 bytes; each character must be one byte.
    if (password.length < 1 || password.length > 8 || !/^[\x01-\xff]+$/.test(password)) {
      fail('password', `must be 1..8 Latin-1 characters (VNC Authentication uses at most 8 bytes), got ${password.length} characters`);
    }
  }

  const tls = validateTls(obj['tls']);

  return {
    listener: { host, port },
    maxClients,
    evictOldest,
    sharedPolicy,
    desktopName,
    updateIntervalMs,
    webConsole,
    sniffWindowMs,
    ...(password !== undefined ? { password } : {}),
    ...(tls !== undefined ? { tls } : {}),
  };
}

const TLS_FIELDS = ['cert', 'key'] as const satisfies readonly (keyof VncTlsPem)[];

/** Checks {@link VncParameters.tls}: both PEM strings, and OpenSSL accepts them together. */
function validateTls(input: unknown): VncTlsPem | undefined {
  if (input === undefined) return undefined;
  const obj = expectRecord(input, 'tls', 'must be an object { cert, key }');
  rejectUnknown(obj, TLS_FIELDS, 'tls.');
  const cert = required(obj, 'cert', 'tls.', 'PEM text of a certificate');
  const key = required(obj, 'key', 'tls.', 'PEM text of a private key');
  if (typeof cert !== 'string' || !cert.includes('-----BEGIN CERTIFICATE-----')) {
    fail('tls.cert', `must be PEM text with a "BEGIN CERTIFICATE" block, got ${typeof cert === 'string' ? `${cert.length} characters without one` : describe(cert)}`);
  }
  if (typeof key !== 'string' || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
    fail('tls.key', `must be PEM text with a "BEGIN ... PRIVATE KEY" block, got ${typeof key === 'string' ? `${key.length} characters without one` : describe(key)}`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    fail('tls', `the certificate and key do not load together (${reason})`);
  }
  return { cert, key };
}

/**
 * True when `host` names a loopback address: `localhost` (any case), IPv4 127.0.0.0/8, IPv6 `::1`
 * in any spelling, or an IPv4-mapped loopback such as `::ffff:127.0.0.1`. Surrounding brackets
 * and an IPv6 zone id are tolerated. Anything else, including `0.0.0.0`, `::` and unparsable
 * text, is not loopback.
 */
export function isLoopbackHost(host: string): boolean {
  let h = host;
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.toLowerCase() === 'localhost') return true;
  const family = isIP(h);
  if (family === 4) return h.startsWith('127.');
  if (family !== 6) return false;
  const b = ipv6Bytes(h);
  if (b === null) return false;
  const zeroUpTo = (n: number): boolean => b.subarray(0, n).every((x) => x === 0);
  if (zeroUpTo(15) && b[15] === 1) return true; // ::1
  return zeroUpTo(10) && b[10] === 0xff && b[11] === 0xff && b[12] === 127; // ::ffff:127.x.y.z
}

/** The 16 bytes of an IPv6 literal already accepted by `isIP`, or null. */
function ipv6Bytes(text: string): Uint8Array | null {
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const octets = g.split('.').map(Number);
        if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
          return null;
        }
        out.push((octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 0 : fill !== 0) return null;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

function fail(field: string, reason: string): never {
  throw new VncParametersError(field, reason);
}

function expectRecord(value: unknown, field: string, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(field, `${what}, got ${describe(value)}`);
  }
  // Plain objects only (any realm): no class instances, whose state may not survive a clone.
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== null && Object.getPrototypeOf(proto) !== null) {
    fail(field, `${what}, got ${className(value)}`);
  }
  return value as Record<string, unknown>;
}

function rejectUnknown(
  obj: Record<string, unknown>,
  known: readonly string[],
  prefix: string,
): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) {
      fail(`${prefix}${key}`, `unknown field (known fields: ${known.join(', ')})`);
    }
  }
}

function required(
  obj: Record<string, unknown>,
  key: string,
  prefix: string,
  expected: string,
): unknown {
  if (!Object.prototype.hasOwnProperty.call(obj, key) || obj[key] === undefined) {
    fail(`${prefix}${key}`, `missing (expected ${expected})`);
  }
  return obj[key];
}

function integer(
  obj: Record<string, unknown>,
  key: string,
  prefix: string,
  limits: { readonly min: number; readonly max: number },
): number {
  const expected = `an integer ${limits.min}..${limits.max}`;
  const v = required(obj, key, prefix, expected);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < limits.min || v > limits.max) {
    fail(`${prefix}${key}`, `must be ${expected}, got ${describe(v)}`);
  }
  // Normalise -0, which JSON would print as 0 anyway.
  return v === 0 ? 0 : v;
}

function className(value: object): string {
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== ''
    ? `an instance of ${ctor.name}`
    : 'a class instance';
}

/** A short human rendering of a rejected value. */
function describe(value: unknown): string {
  switch (typeof value) {
    case 'string': {
      const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
      return JSON.stringify(shown);
    }
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n (a bigint)`;
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      if (value === null) return 'null';
      if (Array.isArray(value)) return 'an array';
      return 'an object';
  }
}
