/**
 * Tests for the command line: the option table, every option's accepted forms, the one-line
 * errors, the `--vnc-port` / `--vnc-listen` conflict rule, and the help text.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultVncParameters } from '@openvmm-vnc-ts/vnc-worker-defs';
import { HELP_WIDTH, helpText } from '../src/help.js';
import { OPTION_GROUPS, VNC_CLI_TITLE, findOption, scanArgv } from '../src/options.js';
import {
  hasValueParser,
  parseCli,
  parseListenAddress,
  parsePort,
  resolveListener,
} from '../src/vnc-cli.js';
import type { CliOptions, CliResult } from '../src/vnc-cli.js';
import { testCert } from './helpers/cert.js';

/** Parses `argv`, expecting a run; returns its options. */
function run(...argv: string[]): CliOptions {
  const r = parseCli(argv);
  if (r.kind !== 'run') throw new Error(`expected run, got ${JSON.stringify(r)}`);
  return r.options;
}

/** Parses `argv`, expecting an error; returns its message after checking it is one line. */
function error(...argv: string[]): string {
  const r: CliResult = parseCli(argv);
  if (r.kind !== 'error') throw new Error(`expected error, got ${JSON.stringify(r)}`);
  expect(r.message).not.toContain('\n');
  expect(r.message).not.toContain('\r');
  return r.message;
}

describe('defaults', () => {
  it('runs the demo guest without VNC, with default parameters', () => {
    expect(run()).toEqual({
      guest: 'demo',
      logLevel: 'warn',
      gfx: false,
      vnc: false,
      params: defaultVncParameters(),
    });
  });
});

describe('general options', () => {
  it('--guest accepts each guest in both forms', () => {
    expect(run('--guest', 'test-card').guest).toBe('test-card');
    expect(run('--guest=demo').guest).toBe('demo');
  });

  it('--log-level accepts each level', () => {
    for (const level of ['error', 'warn', 'info', 'debug', 'trace']) {
      expect(run('--log-level', level).logLevel).toBe(level);
      expect(run(`--log-level=${level}`).logLevel).toBe(level);
    }
  });

  it('-h and --help give the help text, even next to bad arguments', () => {
    for (const argv of [['-h'], ['--help'], ['--vnc-port', '70000', '--help'], ['--bogus', '-h']]) {
      const r = parseCli(argv);
      expect(r.kind).toBe('help');
      if (r.kind === 'help') expect(r.text).toBe(helpText());
    }
  });

  it('--version asks for the version', () => {
    expect(parseCli(['--version'])).toEqual({ kind: 'version' });
    expect(parseCli(['--version', '--help']).kind).toBe('help');
  });
});

describe('VncCli options', () => {
  it('--gfx implies --vnc', () => {
    expect(run('--gfx')).toMatchObject({ gfx: true, vnc: true });
    expect(run('--vnc')).toMatchObject({ gfx: false, vnc: true });
    expect(run('--gfx', '--vnc')).toMatchObject({ gfx: true, vnc: true });
  });

  it('--vnc-port accepts 0..65535 in both forms', () => {
    expect(run('--vnc-port', '0').params.listener.port).toBe(0);
    expect(run('--vnc-port=65535').params.listener.port).toBe(65535);
    expect(run('--vnc-port', '5901').params.listener).toEqual({ host: '127.0.0.1', port: 5901 });
  });

  it('--vnc-listen accepts bare addresses and keeps the port default', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost']) {
      expect(run('--vnc-listen', host).params.listener).toEqual({ host, port: 5900 });
    }
    for (const host of ['0.0.0.0', '::', '10.1.2.3']) {
      expect(run('--vnc-listen', host, '--vnc-allow-insecure').params.listener).toEqual({ host, port: 5900 });
    }
    expect(run('--vnc-listen', 'LocalHost').params.listener.host).toBe('localhost');
    expect(run('--vnc-listen=[::1]').params.listener).toEqual({ host: '::1', port: 5900 });
  });

  it('--vnc-listen combines a bare address with --vnc-port', () => {
    expect(run('--vnc-listen', '::1', '--vnc-port', '5905').params.listener).toEqual({
      host: '::1',
      port: 5905,
    });
  });

  it('--vnc-listen accepts socket addresses', () => {
    expect(run('--vnc-listen', '[::1]:5901').params.listener).toEqual({ host: '::1', port: 5901 });
    expect(run('--vnc-listen=127.0.0.1:5901').params.listener).toEqual({
      host: '127.0.0.1',
      port: 5901,
    });
    expect(run('--vnc-listen', 'localhost:0').params.listener).toEqual({
      host: 'localhost',
      port: 0,
    });
    expect(run('--vnc-listen', '[::]:5902', '--vnc-allow-insecure').params.listener).toEqual({ host: '::', port: 5902 });
  });

  it('serves the web console by default on loopback only; --vnc-web / --no-vnc-web override; --vnc-sniff-ms is 0..1000', () => {
    expect(run().params.webConsole).toBe(true);
    expect(run('--no-vnc-web').params.webConsole).toBe(false);
    expect(run('--vnc-listen', '0.0.0.0', '--vnc-allow-insecure').params.webConsole).toBe(false);
    expect(run('--vnc-listen', '0.0.0.0', '--vnc-allow-insecure', '--vnc-web').params.webConsole).toBe(true);
    expect(parseCli(['--gfx', '--vnc-web', '--no-vnc-web']).kind).toBe('error');
    expect(run().params.sniffWindowMs).toBe(40);
    expect(run('--vnc-sniff-ms', '0').params.sniffWindowMs).toBe(0);
    expect(run('--vnc-sniff-ms=1000').params.sniffWindowMs).toBe(1000);
    for (const bad of ['1001', '-1', '1.5', 'x']) {
      const r = parseCli(['--gfx', '--vnc-sniff-ms', bad]);
      expect(r.kind, bad).toBe('error');
    }
  });

  it('refuses a non-loopback listener without a password unless --vnc-allow-insecure is given', () => {
    for (const listen of ['0.0.0.0', '::', '192.0.2.7', '[::]:5901']) {
      const r = parseCli(['--gfx', '--vnc-listen', listen]);
      expect(r.kind).toBe('error');
      if (r.kind === 'error') {
        expect(r.message).toContain('--vnc-password-file');
        expect(r.message).toContain('--vnc-allow-insecure');
        expect(r.message.split('\n')).toHaveLength(1);
      }
    }
  });

  it('--vnc-password-file reads the first line as the password (and makes a public listener acceptable)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-'));
    writeFileSync(join(dir, 'ok'), 'secret\nignored second line\n');
    writeFileSync(join(dir, 'empty'), '\n');
    writeFileSync(join(dir, 'long'), '123456789\n');
    const o = run('--vnc-password-file', join(dir, 'ok'), '--vnc-listen', '0.0.0.0');
    expect(o.params.password).toBe('secret');
    for (const [file, says] of [['empty', 'empty'], ['long', 'at most 8'], ['missing', 'ENOENT']] as const) {
      const r = parseCli(['--gfx', '--vnc-password-file', join(dir, file)]);
      expect(r.kind).toBe('error');
      if (r.kind === 'error') expect(r.message).toContain(says);
    }
  });

  it('--vnc-tls-cert and --vnc-tls-key load PEM files together; every problem is one line naming the option', () => {
    const c = testCert();
    const o = run('--vnc-tls-cert', c.certPath, '--vnc-tls-key', c.keyPath);
    expect(o.params.tls).toEqual({ cert: c.cert, key: c.key });
    const dir = mkdtempSync(join(tmpdir(), 'tls-'));
    writeFileSync(join(dir, 'junk'), 'not pem\n');
    const otherKey = join(dir, 'other-key.pem');
    writeFileSync(otherKey, c.key.replace(/\n[A-Za-z0-9+/=]{20,}\n/, '\nAAAA\n'));
    const cases: [string[], string][] = [
      [['--vnc-tls-cert', c.certPath], '--vnc-tls-cert: needs --vnc-tls-key'],
      [['--vnc-tls-key', c.keyPath], '--vnc-tls-key: needs --vnc-tls-cert'],
      [['--vnc-tls-cert', join(dir, 'missing'), '--vnc-tls-key', c.keyPath], 'ENOENT'],
      [['--vnc-tls-cert', join(dir, 'junk'), '--vnc-tls-key', c.keyPath], 'does not hold a PEM certificate'],
      [['--vnc-tls-cert', c.certPath, '--vnc-tls-key', c.certPath], 'does not hold a PEM private key'],
      [['--vnc-tls-cert', c.certPath, '--vnc-tls-key', otherKey], 'do not load together'],
    ];
    for (const [args, says] of cases) {
      const r = parseCli(['--gfx', ...args]);
      expect(r.kind, args.join(' ')).toBe('error');
      if (r.kind === 'error') {
        expect(r.message).toContain(says);
        expect(r.message.split('\n')).toHaveLength(1);
      }
    }
  });

  it('TLS without a password does not make a public listener acceptable; with a password it does', () => {
    const c = testCert();
    const tlsArgs = ['--vnc-tls-cert', c.certPath, '--vnc-tls-key', c.keyPath, '--vnc-listen', '0.0.0.0'];
    const r = parseCli(['--gfx', ...tlsArgs]);
    expect(r.kind).toBe('error');
    if (r.kind === 'error') expect(r.message).toContain('TLS encrypts but does not check who connects');
    expect(run(...tlsArgs, '--vnc-allow-insecure').params.tls).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'pw-'));
    writeFileSync(join(dir, 'pw'), 'secret\n');
    expect(run(...tlsArgs, '--vnc-password-file', join(dir, 'pw')).params).toMatchObject({ password: 'secret', tls: { cert: c.cert } });
  });

  it('--vnc-max-clients accepts 0..1024', () => {
    expect(run('--vnc-max-clients', '0').params.maxClients).toBe(0);
    expect(run('--vnc-max-clients=1024').params.maxClients).toBe(1024);
    expect(run('--vnc-max-clients', '3').params.maxClients).toBe(3);
  });

  it('--vnc-evict-oldest sets evictOldest', () => {
    expect(run().params.evictOldest).toBe(false);
    expect(run('--vnc-evict-oldest').params.evictOldest).toBe(true);
  });

  it('--vnc-shared-policy accepts each policy', () => {
    for (const policy of ['share-all', 'spec', 'refuse-exclusive']) {
      expect(run('--vnc-shared-policy', policy).params.sharedPolicy).toBe(policy);
    }
  });

  it('combines everything', () => {
    const o = run(
      '--gfx',
      '--guest=test-card',
      '--log-level',
      'debug',
      '--vnc-listen',
      '0.0.0.0',
      '--vnc-port',
      '0',
      '--vnc-max-clients',
      '2',
      '--vnc-evict-oldest',
      '--vnc-shared-policy=spec',
      '--vnc-allow-insecure',
    );
    expect(o).toEqual({
      guest: 'test-card',
      logLevel: 'debug',
      gfx: true,
      vnc: true,
      params: defaultVncParameters({
        listener: { host: '0.0.0.0', port: 0 },
        maxClients: 2,
        evictOldest: true,
        sharedPolicy: 'spec',
        webConsole: false, // not loopback, and --vnc-web not given
      }),
    });
    expect(structuredClone(o)).toEqual(o);
  });
});

describe('argv structure', () => {
  it('ignores a bare -- anywhere', () => {
    expect(run('--', '--vnc').vnc).toBe(true);
    expect(run('--gfx', '--', '--vnc-port', '5901').params.listener.port).toBe(5901);
  });

  it('accepts a repeated option with the same value', () => {
    expect(run('--vnc-port', '5901', '--vnc-port=5901').params.listener.port).toBe(5901);
    expect(run('--gfx', '--gfx').gfx).toBe(true);
  });

  it('rejects a repeated option with a different value', () => {
    expect(error('--guest', 'demo', '--guest', 'test-card')).toBe(
      '--guest: conflicting values "demo" and "test-card" (give the option once)',
    );
    expect(error('--vnc-port', '1', '--vnc-port', '2')).toMatch(/^--vnc-port: conflicting/);
  });

  it('rejects unknown options, suggesting a near miss', () => {
    expect(error('--bogus')).toBe('--bogus: unknown option (see --help)');
    expect(error('--vnc-prot', '5900')).toBe(
      '--vnc-prot: unknown option (did you mean --vnc-port? see --help)',
    );
    expect(error('-x')).toMatch(/^-x: unknown option/);
    expect(error('--bogus=1')).toMatch(/^--bogus: unknown option/);
  });

  it('rejects a missing value', () => {
    expect(error('--vnc-port')).toBe('--vnc-port: missing value PORT (expected 0..65535)');
    expect(error('--vnc-listen', '--gfx')).toMatch(/^--vnc-listen: missing value ADDRESS/);
    expect(error('--guest', '--')).toMatch(/^--guest: missing value GUEST \(expected one of demo/);
  });

  it('rejects a value given to a flag', () => {
    expect(error('--gfx=yes')).toBe('--gfx: takes no value, got "yes"');
  });

  it('rejects stray positionals', () => {
    expect(error('foo')).toMatch(/^unexpected argument "foo"/);
    expect(error('--vnc-port', '5900', '5901')).toMatch(/^unexpected argument "5901"/);
    expect(error('-')).toMatch(/^unexpected argument "-"/);
  });

  it('reports the first structural error', () => {
    expect(scanArgv(['--nope', 'x', '--gfx']).error).toMatch(/^--nope:/);
  });
});

describe('invalid values: one line naming the option and the value', () => {
  const cases: Array<[string[], string]> = [
    [['--vnc-port', '70000'], '--vnc-port: invalid port "70000" (expected 0..65535)'],
    [['--vnc-port', '-1'], '--vnc-port: invalid port "-1" (expected 0..65535)'],
    [['--vnc-port', '12abc'], '--vnc-port: invalid port "12abc" (expected 0..65535)'],
    [['--vnc-port='], '--vnc-port: invalid port "" (expected 0..65535)'],
    [['--vnc-port', '0x10'], '--vnc-port: invalid port "0x10" (expected 0..65535)'],
    [['--vnc-port', '1e3'], '--vnc-port: invalid port "1e3" (expected 0..65535)'],
    [
      ['--vnc-listen', 'banana'],
      '--vnc-listen: invalid address "banana" (expected an IP address such as 127.0.0.1 or ::1, ' +
        'or HOST:PORT such as [::1]:5901)',
    ],
    [
      ['--vnc-listen', '999.1.1.1'],
      '--vnc-listen: invalid address "999.1.1.1" (expected an IP address such as 127.0.0.1 or ' +
        '::1, or HOST:PORT such as [::1]:5901)',
    ],
    [
      ['--vnc-listen', '[::1]:99999'],
      '--vnc-listen: invalid port "99999" in "[::1]:99999" (expected 0..65535)',
    ],
    [
      ['--vnc-listen', '127.0.0.1:abc'],
      '--vnc-listen: invalid port "abc" in "127.0.0.1:abc" (expected 0..65535)',
    ],
    [
      ['--vnc-listen', 'fe80::1:99999'],
      '--vnc-listen: invalid address "fe80::1:99999" (an IPv6 address with a port needs ' +
        'brackets, such as [::1]:5901)',
    ],
    [
      ['--vnc-listen', '[127.0.0.1]:5901'],
      '--vnc-listen: invalid address "[127.0.0.1]:5901" (brackets are for IPv6 addresses, as in ' +
        '[::1]:5901)',
    ],
    [
      ['--vnc-max-clients', '-3'],
      '--vnc-max-clients: invalid count "-3" (expected an integer 0..1024)',
    ],
    [
      ['--vnc-max-clients', '1025'],
      '--vnc-max-clients: invalid count "1025" (expected an integer 0..1024)',
    ],
    [['--guest', 'foo'], '--guest: invalid value "foo" (expected one of demo, test-card)'],
    [
      ['--log-level', 'loud'],
      '--log-level: invalid value "loud" (expected one of error, warn, info, debug, trace)',
    ],
    [
      ['--vnc-shared-policy', 'exclusive'],
      '--vnc-shared-policy: invalid value "exclusive" (expected one of share-all, spec, ' +
        'refuse-exclusive)',
    ],
  ];
  for (const [argv, message] of cases) {
    it(argv.join(' '), () => {
      expect(error(...argv)).toBe(message);
    });
  }

  it('quotes control characters so the message stays on one line', () => {
    expect(error('--vnc-listen', 'a\nb')).toMatch(/^--vnc-listen: invalid address "a\\nb"/);
    expect(error('--bo\ngus')).toMatch(/^"--bo\\ngus": unknown option/);
  });

  it('shortens very long values', () => {
    expect(error('--vnc-listen', 'x'.repeat(500)).length).toBeLessThan(200);
  });
});

describe('--vnc-port against a socket address in --vnc-listen', () => {
  it('is an error when the ports differ', () => {
    expect(error('--vnc-port', '5900', '--vnc-listen', '[::1]:5901')).toBe(
      '--vnc-listen: address "[::1]:5901" sets port 5901 but --vnc-port sets 5900 ' +
        '(give the port in one place only)',
    );
    expect(error('--vnc-listen=127.0.0.1:5901', '--vnc-port=5902')).toMatch(
      /^--vnc-listen: address "127.0.0.1:5901" sets port 5901 but --vnc-port sets 5902/,
    );
  });

  it('is accepted when they agree, or when only one gives a port', () => {
    expect(run('--vnc-port', '5901', '--vnc-listen', '[::1]:5901').params.listener).toEqual({
      host: '::1',
      port: 5901,
    });
    expect(run('--vnc-listen', '[::1]:5901').params.listener.port).toBe(5901);
    expect(resolveListener(undefined, undefined)).toEqual({
      ok: true,
      value: { host: '127.0.0.1', port: 5900 },
    });
  });
});

describe('value parsers', () => {
  it('parsePort', () => {
    expect(parsePort('05900')).toEqual({ ok: true, value: 5900 });
    expect(parsePort('+1').ok).toBe(false);
    expect(parsePort(' 1').ok).toBe(false);
    expect(parsePort('65536').ok).toBe(false);
  });

  it('parseListenAddress', () => {
    expect(parseListenAddress('[::1]:5901')).toEqual({
      ok: true,
      value: { host: '::1', port: 5901 },
    });
    expect(parseListenAddress('::1')).toEqual({ ok: true, value: { host: '::1' } });
    // An unbracketed IPv6 literal is an address, never address:port.
    expect(parseListenAddress('::1:5901')).toEqual({ ok: true, value: { host: '::1:5901' } });
    expect(parseListenAddress('[fe80::1%eth0]:5901')).toEqual({
      ok: true,
      value: { host: 'fe80::1%eth0', port: 5901 },
    });
    const bad = ['', '[::1', '[::1]x', '[]:1', 'example.com', 'example.com:5900', '1.2.3.4:'];
    for (const text of bad) {
      expect(parseListenAddress(text).ok, text).toBe(false);
    }
  });
});

describe('option table and help', () => {
  it('every value-taking option has a parser, and names are unique', () => {
    const names = new Set<string>();
    for (const group of OPTION_GROUPS) {
      for (const spec of group.options) {
        expect(hasValueParser(spec), spec.name).toBe(true);
        expect(names.has(spec.name), spec.name).toBe(false);
        names.add(spec.name);
        expect(findOption(spec.name)).toBe(spec);
      }
    }
    expect(findOption('-h')?.name).toBe('--help');
  });

  it('defaults in the table are accepted by the parser', () => {
    for (const group of OPTION_GROUPS) {
      for (const spec of group.options) {
        if (spec.default === undefined) continue;
        expect(parseCli([spec.name, spec.default]).kind, spec.name).toBe('run');
      }
    }
  });

  it('is plain data that survives JSON', () => {
    expect(JSON.parse(JSON.stringify(OPTION_GROUPS))).toEqual(OPTION_GROUPS);
  });

  it('the help text names every option and the VncCli heading', () => {
    const text = helpText();
    expect(VNC_CLI_TITLE).toBe('VNC (graphical console)');
    expect(text).toContain(`\n${VNC_CLI_TITLE}:\n`);
    expect(text.startsWith('Usage: openvmm-cli [OPTIONS]\n')).toBe(true);
    for (const group of OPTION_GROUPS) {
      expect(text).toContain(`${group.title}:`);
      for (const spec of group.options) {
        expect(text).toContain(spec.name);
        if (spec.short !== undefined) expect(text).toContain(`${spec.short}, ${spec.name}`);
        if (spec.default !== undefined) expect(text).toContain(`[default: ${spec.default}]`);
      }
    }
  });

  it(`the help text fits ${HELP_WIDTH} columns`, () => {
    for (const line of helpText().split('\n')) {
      expect(line.length, line).toBeLessThanOrEqual(HELP_WIDTH);
      expect(line).toBe(line.trimEnd());
    }
    for (const line of helpText({ width: 60, programName: 'x' }).split('\n')) {
      expect(line.length, line).toBeLessThanOrEqual(60);
    }
  });
});
