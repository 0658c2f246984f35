/**
 * Command-line interpretation: {@link parseCli} turns argv into run options (with validated VNC
 * worker parameters), a help or version request, or a one-line error. It never throws and never
 * exits; the caller decides what to print and which exit code to use.
 *
 * The VNC flags follow OpenVMM's `VncCli` (`--gfx`, `--vnc`, `--vnc-port`, `--vnc-listen`,
 * `--vnc-max-clients`, `--vnc-evict-oldest`), with one deliberate difference raised in the
 * OpenVMM review: OpenVMM lets a socket address in `--vnc-listen` silently override
 * `--vnc-port`, while here an explicit `--vnc-port` and a `--vnc-listen` port that differ are an
 * error.
 */

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { LogLevel } from '@openvmm-vnc-ts/video-core';
import {
  DEFAULT_VNC_HOST,
  DEFAULT_VNC_PORT,
  VNC_PARAMETER_LIMITS,
  defaultVncParameters,
  isLoopbackHost,
} from '@openvmm-vnc-ts/vnc-worker-defs';
import type {
  SharedPolicy,
  VncListenerConfig,
  VncParameters,
} from '@openvmm-vnc-ts/vnc-worker-defs';
import { helpText } from './help.js';
import {
  DEFAULT_GUEST,
  DEFAULT_LOG_LEVEL,
  OPTION_GROUPS,
  expectedOf,
  quote,
  scanArgv,
} from './options.js';
import type { GuestKind, OptionSpec } from './options.js';

/** A parsed command line that asks to run. */
export interface CliOptions {
  /** Which built-in guest to run. */
  readonly guest: GuestKind;
  /** Least severe log level to print. */
  readonly logLevel: LogLevel;
  /** `--gfx`: synthetic video (with a dirty-rectangle channel), keyboard and mouse, plus VNC. */
  readonly gfx: boolean;
  /** Start the VNC server: true when `--gfx` or `--vnc` was given. */
  readonly vnc: boolean;
  /** Validated worker parameters (defaults where no option was given). */
  readonly params: VncParameters;
}

/** Outcome of {@link parseCli}. */
export type CliResult =
  | { readonly kind: 'run'; readonly options: CliOptions }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly message: string };

/** A value parser's outcome: the value, or a one-line message naming the option. */
export type ParseOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

/** A parsed `--vnc-listen` value: a host, and a port when a socket address was given. */
export interface ListenAddress {
  /** IP literal without brackets, or `localhost`. */
  readonly host: string;
  /** Present only when the value was HOST:PORT. */
  readonly port?: number;
}

const PORT_MIN = VNC_PARAMETER_LIMITS.port.min;
const PORT_MAX = VNC_PARAMETER_LIMITS.port.max;
const CLIENTS_MIN = VNC_PARAMETER_LIMITS.maxClients.min;
const CLIENTS_MAX = VNC_PARAMETER_LIMITS.maxClients.max;
const LISTEN_EXPECTED =
  'expected an IP address such as 127.0.0.1 or ::1, or HOST:PORT such as [::1]:5901';

/** Decimal digits only: no sign, no spaces, no exponent, no hex. */
function decimal(text: string): number | undefined {
  return /^[0-9]{1,10}$/.test(text) ? Number(text) : undefined;
}

/**
 * Parses a `--vnc-port` value: decimal digits for 0..65535 (0 picks a free port).
 * Error form: `--vnc-port: invalid port "70000" (expected 0..65535)`.
 */
export function parsePort(text: string, option = '--vnc-port'): ParseOutcome<number> {
  const n = decimal(text);
  if (n === undefined || n < PORT_MIN || n > PORT_MAX) {
    return {
      ok: false,
      message: `${option}: invalid port ${quote(text)} (expected ${PORT_MIN}..${PORT_MAX})`,
    };
  }
  return { ok: true, value: n };
}

/**
 * Parses a `--vnc-max-clients` value: decimal digits for 0..1024 (0 refuses every connection).
 */
export function parseMaxClients(text: string): ParseOutcome<number> {
  const n = decimal(text);
  if (n === undefined || n < CLIENTS_MIN || n > CLIENTS_MAX) {
    return {
      ok: false,
      message:
        `--vnc-max-clients: invalid count ${quote(text)} ` +
        `(expected an integer ${CLIENTS_MIN}..${CLIENTS_MAX})`,
    };
  }
  return { ok: true, value: n };
}

/**
 * Parses a `--vnc-listen` value. Accepted forms:
 *
 * - a bare IPv4 or IPv6 literal: `127.0.0.1`, `0.0.0.0`, `::1`, `::` (an unbracketed IPv6
 *   literal is always read as an address, so `::1:5901` is the host `::1:5901`);
 * - `localhost` (any case);
 * - a bracketed IPv6 literal: `[::1]`;
 * - a socket address: `127.0.0.1:5901`, `localhost:5901`, `[::1]:5901`.
 */
export function parseListenAddress(text: string): ParseOutcome<ListenAddress> {
  const invalid = (why = LISTEN_EXPECTED): ParseOutcome<ListenAddress> => ({
    ok: false,
    message: `--vnc-listen: invalid address ${quote(text)} (${why})`,
  });
  const withPort = (host: string, portText: string): ParseOutcome<ListenAddress> => {
    const n = decimal(portText);
    if (n === undefined || n < PORT_MIN || n > PORT_MAX) {
      return {
        ok: false,
        message:
          `--vnc-listen: invalid port ${quote(portText)} in ${quote(text)} ` +
          `(expected ${PORT_MIN}..${PORT_MAX})`,
      };
    }
    return { ok: true, value: { host, port: n } };
  };

  if (isIP(text) !== 0) return { ok: true, value: { host: text } };
  if (text.toLowerCase() === 'localhost') return { ok: true, value: { host: 'localhost' } };

  if (text.startsWith('[')) {
    const m = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
    if (m === null || isIP(m[1]!) !== 6) {
      return invalid('brackets are for IPv6 addresses, as in [::1]:5901');
    }
    return m[2] === undefined ? { ok: true, value: { host: m[1]! } } : withPort(m[1]!, m[2]);
  }

  const colon = text.lastIndexOf(':');
  if (colon > 0) {
    const host = text.slice(0, colon);
    const portText = text.slice(colon + 1);
    if (isIP(host) === 4) return withPort(host, portText);
    if (host.toLowerCase() === 'localhost') return withPort('localhost', portText);
    if (isIP(host) === 6 && /^[0-9]+$/.test(portText)) {
      return invalid('an IPv6 address with a port needs brackets, such as [::1]:5901');
    }
  }
  return invalid();
}

/**
 * Combines `--vnc-listen` and `--vnc-port` into the listener to bind.
 *
 * The port comes from the socket address when `listen` has one, else from `explicitPort`, else
 * 5900. Unlike OpenVMM, a socket-address port that differs from an explicit `--vnc-port` is an
 * error rather than a silent override (the same port in both places is accepted).
 */
export function resolveListener(
  listen: ListenAddress | undefined,
  explicitPort: number | undefined,
  listenText?: string,
): ParseOutcome<VncListenerConfig> {
  const host = listen?.host ?? DEFAULT_VNC_HOST;
  const addrPort = listen?.port;
  if (addrPort !== undefined && explicitPort !== undefined && addrPort !== explicitPort) {
    const shown = listenText === undefined ? '' : ` ${quote(listenText)}`;
    return {
      ok: false,
      message:
        `--vnc-listen: address${shown} sets port ${addrPort} but --vnc-port sets ` +
        `${explicitPort} (give the port in one place only)`,
    };
  }
  return { ok: true, value: { host, port: addrPort ?? explicitPort ?? DEFAULT_VNC_PORT } };
}

/**
 * Reads a password file: its first line (without the line ending) is the password, 1..8
 * Latin-1 characters. An empty path only answers whether the option has a parser.
 */
export function readPasswordFile(path: string): ParseOutcome<string> {
  if (path === '') return { ok: false, message: '--vnc-password-file: empty path' };
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, message: `--vnc-password-file: cannot read ${quote(path)} (${code})` };
  }
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password.length === 0) return { ok: false, message: `--vnc-password-file: the first line of ${quote(path)} is empty (expected the password)` };
  if (password.length > 8) {
    return {
      ok: false,
      message: `--vnc-password-file: the password in ${quote(path)} has ${password.length} characters (VNC Authentication uses at most 8)`,
    };
  }
  return { ok: true, value: password };
}

/**
 * Reads a PEM file for `--vnc-tls-cert` / `--vnc-tls-key`: its text, which must hold a PEM block
 * of the expected kind (whether the pair loads together is checked with the parameters). An
 * empty path only answers whether the option has a parser.
 */
export function readPemFile(path: string, option: '--vnc-tls-cert' | '--vnc-tls-key'): ParseOutcome<string> {
  if (path === '') return { ok: false, message: `${option}: empty path` };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, message: `${option}: cannot read ${quote(path)} (${code})` };
  }
  const want = option === '--vnc-tls-cert' ? /-----BEGIN CERTIFICATE-----/ : /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
  if (!want.test(text)) {
    const kind = option === '--vnc-tls-cert' ? 'a PEM certificate (BEGIN CERTIFICATE)' : 'a PEM private key (BEGIN ... PRIVATE KEY)';
    return { ok: false, message: `${option}: ${quote(path)} does not hold ${kind}` };
  }
  return { ok: true, value: text };
}

/** Interprets one value of a value-taking option; `undefined` when the table has no parser. */
function parseValue(spec: OptionSpec, text: string): ParseOutcome<unknown> | undefined {
  if (spec.choices !== undefined) {
    return spec.choices.includes(text)
      ? { ok: true, value: text }
      : {
          ok: false,
          message: `${spec.name}: invalid value ${quote(text)} (expected ${expectedOf(spec)})`,
        };
  }
  switch (spec.name) {
    case '--vnc-port':
      return parsePort(text);
    case '--vnc-listen':
      return parseListenAddress(text);
    case '--vnc-max-clients':
      return parseMaxClients(text);
    case '--vnc-password-file':
      return readPasswordFile(text);
    case '--vnc-tls-cert':
    case '--vnc-tls-key':
      return readPemFile(text, spec.name);
    case '--vnc-sniff-ms': {
      const ms = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
      return ms >= 0 && ms <= 1000 ? { ok: true, value: ms } : { ok: false, message: `--vnc-sniff-ms: invalid value ${quote(text)} (expected 0..1000)` };
    }
    default:
      return undefined;
  }
}

/**
 * True when `spec` takes no value or this module knows how to interpret its value: a check that
 * the option table and the parser agree.
 */
export function hasValueParser(spec: OptionSpec): boolean {
  return spec.value === undefined || parseValue(spec, '') !== undefined;
}

/**
 * Parses the command line (the arguments after the program name, e.g.
 * `process.argv.slice(2)`).
 *
 * - `-h`/`--help` anywhere gives `{ kind: 'help' }` with {@link helpText}, even if other
 *   arguments are wrong; otherwise `--version` gives `{ kind: 'version' }`.
 * - `--opt=value` and `--opt value` are equivalent; a bare `--` is ignored.
 * - Unknown options, missing or invalid values, flags given a value, positional arguments, an
 *   option repeated with a different value, and a `--vnc-listen` port that contradicts
 *   `--vnc-port` give `{ kind: 'error' }` with a one-line message naming the option and value.
 * - Otherwise `{ kind: 'run' }`. `vnc` is true when `--gfx` or `--vnc` was given; the VNC
 *   options are accepted (and validated) either way.
 *
 * Never throws and never exits.
 */
export function parseCli(argv: readonly string[]): CliResult {
  try {
    return parseCliUnsafe(argv);
  } catch (e) {
    // Not expected: every value is checked before the parameters are built. Kept one line.
    const message = e instanceof Error ? e.message : String(e);
    return { kind: 'error', message: message.split('\n')[0] ?? 'invalid arguments' };
  }
}

/** Why a certificate and key do not load together (OpenSSL's reason), or undefined when they do. */
function tlsPairProblem(pem: { cert: string; key: string }): string | undefined {
  try {
    createSecureContext(pem);
    return undefined;
  } catch (e) {
    const reason = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
    return `the certificate and --vnc-tls-key do not load together (${reason})`;
  }
}

function parseCliUnsafe(argv: readonly string[]): CliResult {
  const scan = scanArgv(argv, OPTION_GROUPS);
  if (scan.help) return { kind: 'help', text: helpText() };
  if (scan.version) return { kind: 'version' };
  if (scan.error !== undefined) return { kind: 'error', message: scan.error };

  const flags = new Set<string>();
  const values = new Map<string, { value: unknown; text: string }>();
  for (const { spec, value } of scan.occurrences) {
    if (value === undefined) {
      flags.add(spec.name);
      continue;
    }
    const parsed = parseValue(spec, value);
    if (parsed === undefined) {
      return { kind: 'error', message: `${spec.name}: option is not implemented` };
    }
    if (!parsed.ok) return { kind: 'error', message: parsed.message };
    const earlier = values.get(spec.name);
    if (earlier !== undefined && JSON.stringify(earlier.value) !== JSON.stringify(parsed.value)) {
      return {
        kind: 'error',
        message:
          `${spec.name}: conflicting values ${quote(earlier.text)} and ${quote(value)} ` +
          '(give the option once)',
      };
    }
    if (earlier === undefined) values.set(spec.name, { value: parsed.value, text: value });
  }

  const get = <T>(name: string): T | undefined => values.get(name)?.value as T | undefined;
  const listenText = values.get('--vnc-listen')?.text;
  const listener = resolveListener(
    get<ListenAddress>('--vnc-listen'),
    get<number>('--vnc-port'),
    listenText,
  );
  if (!listener.ok) return { kind: 'error', message: listener.message };

  const password = get<string>('--vnc-password-file');
  const cert = get<string>('--vnc-tls-cert');
  const key = get<string>('--vnc-tls-key');
  if ((cert === undefined) !== (key === undefined)) {
    return { kind: 'error', message: cert === undefined ? '--vnc-tls-key: needs --vnc-tls-cert (give both)' : '--vnc-tls-cert: needs --vnc-tls-key (give both)' };
  }
  const tls = cert !== undefined && key !== undefined ? { cert, key } : undefined;
  const tlsProblem = tls === undefined ? undefined : tlsPairProblem(tls);
  if (tlsProblem !== undefined) return { kind: 'error', message: `--vnc-tls-cert: ${tlsProblem}` };
  if (password === undefined && !isLoopbackHost(listener.value.host) && !flags.has('--vnc-allow-insecure')) {
    return {
      kind: 'error',
      message:
        `--vnc-listen: ${quote(listener.value.host)} can be reached from other machines and the server has no password` +
        (tls ? ' (TLS encrypts but does not check who connects)' : '') +
        '; give --vnc-password-file PATH, or --vnc-allow-insecure to accept an open console',
    };
  }
  if (flags.has('--vnc-web') && flags.has('--no-vnc-web')) {
    return { kind: 'error', message: '--vnc-web: conflicts with --no-vnc-web (give one)' };
  }
  const webConsole = flags.has('--vnc-web') || (!flags.has('--no-vnc-web') && isLoopbackHost(listener.value.host));
  const params = defaultVncParameters({
    webConsole,
    sniffWindowMs: get<number>('--vnc-sniff-ms'),
    password,
    tls,
    listener: listener.value,
    maxClients: get<number>('--vnc-max-clients'),
    evictOldest: flags.has('--vnc-evict-oldest'),
    sharedPolicy: get<SharedPolicy>('--vnc-shared-policy'),
  });
  const gfx = flags.has('--gfx');
  return {
    kind: 'run',
    options: {
      guest: get<GuestKind>('--guest') ?? DEFAULT_GUEST,
      logLevel: get<LogLevel>('--log-level') ?? DEFAULT_LOG_LEVEL,
      gfx,
      vnc: gfx || flags.has('--vnc'),
      params,
    },
  };
}
