/**
 * The command line's option table, and the scanner that splits argv into option occurrences.
 *
 * One table, {@link OPTION_GROUPS}, describes every option: its spelling, its value placeholder,
 * its accepted values and default, and its help sentence. The scanner ({@link scanArgv}), the
 * value interpretation in `vnc-cli.ts` and the `--help` renderer in `help.ts` all read it, and
 * because it is plain data (no functions) it can also be dumped to generate documentation.
 *
 * The VNC options form their own group, mirroring OpenVMM's `VncCli` struct, which clap flattens
 * into the top-level options.
 */

import type { LogLevel } from '@openvmm-vnc-ts/video-core';
import {
  DEFAULT_MAX_CLIENTS,
  DEFAULT_SHARED_POLICY,
  DEFAULT_VNC_HOST,
  DEFAULT_VNC_PORT,
  SHARED_POLICIES,
  VNC_PARAMETER_LIMITS,
} from '@openvmm-vnc-ts/vnc-worker-defs';

/** The executable's name, as used in usage lines and messages. */
export const PROGRAM_NAME = 'openvmm-cli';

/** One command-line option. */
export interface OptionSpec {
  /** Long spelling, e.g. `--vnc-port`. */
  readonly name: `--${string}`;
  /** Optional one-letter spelling, e.g. `-h`. */
  readonly short?: `-${string}`;
  /** Placeholder for the option's value, e.g. `PORT`; absent for a flag that takes no value. */
  readonly value?: string;
  /** The only values accepted, when the value is a choice from a fixed list. */
  readonly choices?: readonly string[];
  /** What a valid value looks like, for error messages, e.g. `0..65535`. */
  readonly expected?: string;
  /** The value used when the option is not given, as it would be typed. */
  readonly default?: string;
  /** One or two sentences for `--help`. */
  readonly help: string;
}

/** A titled set of options, rendered under its own heading in `--help`. */
export interface OptionGroup {
  /** Heading, e.g. `VNC (graphical console)`. */
  readonly title: string;
  /** The group's options in display order. */
  readonly options: readonly OptionSpec[];
}

/** The built-in guests that `--guest` can select. */
export const GUESTS = ['demo', 'test-card'] as const;

/** A built-in guest: `demo` (a demo console) or `test-card` (a test pattern). */
export type GuestKind = (typeof GUESTS)[number];

/** Accepted `--log-level` values, most severe first. */
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug', 'trace'];

/** Default `--guest`. */
export const DEFAULT_GUEST: GuestKind = 'demo';

/** Default `--log-level`. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'warn';

/** Heading of the VNC option group (OpenVMM's `VncCli`). */
export const VNC_CLI_TITLE = 'VNC (graphical console)';

const portRange = `${VNC_PARAMETER_LIMITS.port.min}..${VNC_PARAMETER_LIMITS.port.max}`;
const { maxClients } = VNC_PARAMETER_LIMITS;
const clientRange = `${maxClients.min}..${maxClients.max}`;

/** General options: which guest to run, logging, help and version. */
export const GENERAL_GROUP: OptionGroup = {
  title: 'General',
  options: [
    {
      name: '--guest',
      value: 'GUEST',
      choices: GUESTS,
      default: DEFAULT_GUEST,
      help:
        'Built-in guest that drives the display: demo (a demo console) or test-card (a test ' +
        'pattern).',
    },
    {
      name: '--log-level',
      value: 'LEVEL',
      choices: LOG_LEVELS,
      default: DEFAULT_LOG_LEVEL,
      help: 'Least severe level of log record written to stderr.',
    },
    { name: '--help', short: '-h', help: 'Print this help and exit.' },
    { name: '--version', help: 'Print the version and exit.' },
  ],
};

/** The VNC options, OpenVMM's `VncCli` group plus `--vnc-shared-policy`. */
export const VNC_CLI_GROUP: OptionGroup = {
  title: VNC_CLI_TITLE,
  options: [
    {
      name: '--gfx',
      help:
        'Give the guest a synthetic video device, keyboard and mouse, and start the VNC server. ' +
        'The video device reports dirty rectangles, so updates carry only what changed.',
    },
    {
      name: '--vnc',
      help:
        'Start the VNC server without a synthetic video device; changes are found by comparing ' +
        'frames. Implied by --gfx.',
    },
    {
      name: '--vnc-port',
      value: 'PORT',
      expected: portRange,
      default: String(DEFAULT_VNC_PORT),
      help:
        `TCP port to listen on, ${portRange}; 0 picks a free port. A port given in --vnc-listen ` +
        'must agree with it.',
    },
    {
      name: '--vnc-listen',
      value: 'ADDRESS',
      expected:
        'an IP address such as 127.0.0.1 or ::1, or HOST:PORT such as [::1]:5901',
      default: DEFAULT_VNC_HOST,
      help:
        'Address to listen on: an IP address (127.0.0.1, ::1, 0.0.0.0 for all IPv4, :: for dual ' +
        'stack), localhost, or HOST:PORT such as 127.0.0.1:5901 or [::1]:5901. An address other ' +
        'machines can reach needs --vnc-password-file (or --vnc-allow-insecure); prefer an SSH ' +
        'tunnel to a loopback listener.',
    },
    {
      name: '--vnc-max-clients',
      value: 'COUNT',
      expected: `an integer ${clientRange}`,
      default: String(DEFAULT_MAX_CLIENTS),
      help: `Viewers connected at once, ${clientRange}; 0 refuses every connection.`,
    },
    {
      name: '--vnc-evict-oldest',
      help:
        'At the limit, disconnect the oldest viewer instead of refusing the new connection.',
    },
    {
      name: '--vnc-password-file',
      value: 'PATH',
      expected: 'a readable file whose first line is the password (1..8 Latin-1 characters)',
      help:
        'Require VNC Authentication with the password on the first line of PATH (at most 8 ' +
        'characters: the protocol uses 8). Security type None is then no longer offered. VNC ' +
        'Authentication is weak, legacy cryptography: it keeps casual users out, not attackers.',
    },
    {
      name: '--vnc-tls-cert',
      value: 'PATH',
      expected: 'a readable PEM certificate file (give --vnc-tls-key too)',
      help:
        'TLS certificate (PEM) for VeNCrypt (RFB security type 19: X509 and anonymous TLS ' +
        'subtypes) and for https:// and wss:// to the web console on the same port. Needs ' +
        '--vnc-tls-key. Clients on other machines are then offered TLS only.',
    },
    {
      name: '--vnc-tls-key',
      value: 'PATH',
      expected: 'a readable PEM private key file, not encrypted (give --vnc-tls-cert too)',
      help: 'Private key (PEM, not encrypted) of --vnc-tls-cert.',
    },
    {
      name: '--vnc-allow-insecure',
      help:
        'Allow listening on an address other machines can reach without --vnc-password-file ' +
        '(TLS alone does not count: it encrypts but does not check who connects). Without this ' +
        'flag such a configuration refuses to start.',
    },
    {
      name: '--vnc-web',
      help:
        'Serve the web console (noVNC) at http://ADDRESS:PORT/ on the VNC port itself. On by ' +
        'default when listening on loopback.',
    },
    {
      name: '--no-vnc-web',
      help: 'Do not serve the web console page (WebSocket clients still connect).',
    },
    {
      name: '--vnc-sniff-ms',
      value: 'MS',
      expected: '0..1000',
      default: '40',
      help:
        'How long a new connection may stay silent before it is taken for a raw RFB client ' +
        '(browsers speak first); a raw client pays it once per connect. 15 is enough where no ' +
        'browser connects; 0 turns WebSocket and HTTP off: raw RFB only.',
    },
    {
      name: '--vnc-shared-policy',
      value: 'POLICY',
      choices: SHARED_POLICIES,
      default: DEFAULT_SHARED_POLICY,
      help:
        'What a viewer asking for exclusive access gets: share-all ignores the request (as ' +
        'OpenVMM does), spec disconnects the other viewers (RFC 6143), refuse-exclusive ' +
        'refuses that viewer.',
    },
  ],
};

/** Every option group, in `--help` order. The single source of truth for parsing and help. */
export const OPTION_GROUPS: readonly OptionGroup[] = [GENERAL_GROUP, VNC_CLI_GROUP];

/** The option spelled `token` (long name or short alias) in `groups`, if any. */
export function findOption(
  token: string,
  groups: readonly OptionGroup[] = OPTION_GROUPS,
): OptionSpec | undefined {
  for (const group of groups) {
    for (const spec of group.options) {
      if (spec.name === token || spec.short === token) return spec;
    }
  }
  return undefined;
}

/** One option as it appeared on the command line. */
export interface OptionOccurrence {
  /** The option's table entry. */
  readonly spec: OptionSpec;
  /** Its value, for an option that takes one. */
  readonly value?: string;
  /** Index in argv of the token that named the option. */
  readonly index: number;
}

/** What {@link scanArgv} found. */
export interface ScanResult {
  /** Every recognised option in argv order (up to the first error, if any). */
  readonly occurrences: readonly OptionOccurrence[];
  /** `-h` or `--help` was given (as an option, not as another option's value). */
  readonly help: boolean;
  /** `--version` was given. */
  readonly version: boolean;
  /** The first structural error, as a one-line message; absent when argv is well formed. */
  readonly error?: string;
}

/**
 * Splits `argv` (the arguments after the program name, e.g. `process.argv.slice(2)`) into option
 * occurrences, checking structure only; values are interpreted later.
 *
 * - `--opt=value` and `--opt value` are both accepted for an option that takes a value. The
 *   following token is taken as the value unless it looks like an option (`--x` or `-x` with a
 *   letter), so `--vnc-port -1` reaches value checking and fails there, with the value named.
 * - A bare `--` is ignored wherever it appears (package runners pass it through).
 * - Unknown options, a missing value, a value given to a flag, and positional arguments are
 *   errors. Only the first error is reported, but scanning continues so that `--help` and
 *   `--version` are still seen.
 */
export function scanArgv(
  argv: readonly string[],
  groups: readonly OptionGroup[] = OPTION_GROUPS,
): ScanResult {
  const occurrences: OptionOccurrence[] = [];
  let help = false;
  let version = false;
  let error: string | undefined;
  const report = (message: string): void => {
    error ??= message;
  };

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') continue;
    if (!token.startsWith('-') || token === '-') {
      report(
        `unexpected argument ${quote(token)} (${PROGRAM_NAME} takes only options; see --help)`,
      );
      continue;
    }
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const name = eq >= 0 ? token.slice(0, eq) : token;
    const inline = eq >= 0 ? token.slice(eq + 1) : undefined;
    const spec = findOption(name, groups);
    if (spec === undefined) {
      const hint = suggest(name, groups);
      const didYouMean = hint === undefined ? '' : `did you mean ${hint}? `;
      report(`${show(name)}: unknown option (${didYouMean}see --help)`);
      continue;
    }
    if (spec.name === '--help') help = true;
    if (spec.name === '--version') version = true;

    if (spec.value === undefined) {
      if (inline !== undefined) {
        report(`${spec.name}: takes no value, got ${quote(inline)}`);
        continue;
      }
      if (error === undefined) occurrences.push({ spec, index: i });
      continue;
    }

    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || looksLikeOption(next)) {
        report(`${spec.name}: missing value ${spec.value} (expected ${expectedOf(spec)})`);
        continue;
      }
      value = next;
      i++;
    }
    if (error === undefined) occurrences.push({ spec, value, index: i });
  }

  return error === undefined
    ? { occurrences, help, version }
    : { occurrences, help, version, error };
}

/** What a valid value of `spec` looks like, for messages. */
export function expectedOf(spec: OptionSpec): string {
  if (spec.choices !== undefined) return `one of ${spec.choices.join(', ')}`;
  return spec.expected ?? spec.value ?? 'no value';
}

/**
 * `text` in double quotes with control characters and quotes escaped (so a message stays on one
 * line), shortened with an ellipsis beyond 64 characters.
 */
export function quote(text: string): string {
  const shown = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  return JSON.stringify(shown);
}

/** An option-like token shown bare when it is plain printable ASCII, quoted otherwise. */
function show(token: string): string {
  return /^[\x21-\x7e]{1,64}$/.test(token) ? token : quote(token);
}

function looksLikeOption(token: string): boolean {
  return token.startsWith('--') || /^-[A-Za-z]/.test(token);
}

/** The closest known long option to a mistyped one, within an edit distance of 2. */
function suggest(name: string, groups: readonly OptionGroup[]): string | undefined {
  if (!name.startsWith('--')) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  for (const group of groups) {
    for (const spec of group.options) {
      const d = editDistance(name, spec.name);
      if (d < bestDistance) {
        best = spec.name;
        bestDistance = d;
      }
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
