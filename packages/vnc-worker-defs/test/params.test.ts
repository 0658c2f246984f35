/**
 * Tests for the VNC worker parameter schema: defaults, every field's bounds, strictness about
 * shape and types, loopback detection, and serialisation round trips.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_VNC_PORT,
  SHARED_POLICIES,
  VNC_PARAMETER_LIMITS,
  VNC_PARAMS_INVALID,
  VNC_WORKER_ID,
  VncParametersError,
  defaultVncParameters,
  isLoopbackHost,
  isVncParametersError,
  validateVncParameters,
} from '../src/index.js';
import type { VncParameters } from '../src/index.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway self-signed certificate and key (PEM), made by the openssl command. */
function testCert(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'defs-tls-'));
  const [certPath, keyPath] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', keyPath, '-out', certPath], { stdio: 'ignore' });
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}

/** A valid parameter set as loose data, with one top-level field replaced. */
function withField(key: string, value: unknown): Record<string, unknown> {
  return { ...defaultVncParameters(), [key]: value };
}

/** A valid parameter set with one listener field replaced. */
function withListener(key: string, value: unknown): Record<string, unknown> {
  const p = defaultVncParameters();
  return { ...p, listener: { ...p.listener, [key]: value } };
}

/** Runs `fn`, expecting a VncParametersError; returns it. */
function catchParamsError(fn: () => unknown): VncParametersError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VncParametersError);
    return e as VncParametersError;
  }
  throw new Error('expected a VncParametersError');
}

describe('defaultVncParameters', () => {
  it('has the documented defaults', () => {
    expect(defaultVncParameters()).toEqual({
      listener: { host: '127.0.0.1', port: 5900 },
      maxClients: 16,
      evictOldest: false,
      sharedPolicy: 'share-all',
      desktopName: 'OpenVMM VM',
      updateIntervalMs: 30,
      webConsole: true,
      sniffWindowMs: 40,
    });
    expect(VNC_WORKER_ID).toBe('VncWorkerTcp');
    expect(DEFAULT_VNC_PORT).toBe(5900);
  });

  it('applies overrides, ignoring undefined ones', () => {
    const p = defaultVncParameters({
      listener: { host: '::', port: 0 },
      maxClients: 2,
      evictOldest: true,
      sharedPolicy: 'spec',
      desktopName: undefined,
    });
    expect(p.listener).toEqual({ host: '::', port: 0 });
    expect(p.maxClients).toBe(2);
    expect(p.evictOldest).toBe(true);
    expect(p.sharedPolicy).toBe('spec');
    expect(p.desktopName).toBe('OpenVMM VM');
  });

  it('validates overrides', () => {
    const e = catchParamsError(() => defaultVncParameters({ maxClients: 2000 }));
    expect(e.field).toBe('maxClients');
  });

  it('returns a fresh object each time', () => {
    const a = defaultVncParameters();
    a.listener.port = 1;
    expect(defaultVncParameters().listener.port).toBe(5900);
  });
});

describe('validateVncParameters: bounds', () => {
  const intCases: Array<[string, 'top' | 'listener', number, number]> = [
    ['port', 'listener', VNC_PARAMETER_LIMITS.port.min, VNC_PARAMETER_LIMITS.port.max],
    ['maxClients', 'top', VNC_PARAMETER_LIMITS.maxClients.min, VNC_PARAMETER_LIMITS.maxClients.max],
    [
      'updateIntervalMs',
      'top',
      VNC_PARAMETER_LIMITS.updateIntervalMs.min,
      VNC_PARAMETER_LIMITS.updateIntervalMs.max,
    ],
  ];
  for (const [key, where, min, max] of intCases) {
    const field = where === 'listener' ? `listener.${key}` : key;
    const build = (v: unknown) => (where === 'listener' ? withListener(key, v) : withField(key, v));
    const read = (p: VncParameters): unknown =>
      where === 'listener' ? p.listener.port : p[key as keyof VncParameters];

    it(`${field}: accepts ${min} and ${max}`, () => {
      expect(read(validateVncParameters(build(min)))).toBe(min);
      expect(read(validateVncParameters(build(max)))).toBe(max);
    });

    it(`${field}: rejects ${min - 1}, ${max + 1}, fractions, NaN, infinities and strings`, () => {
      for (const bad of [min - 1, max + 1, min + 0.5, NaN, Infinity, -Infinity, String(min)]) {
        const e = catchParamsError(() => validateVncParameters(build(bad)));
        expect(e.field).toBe(field);
        expect(e.message.startsWith(`${field}: `)).toBe(true);
        expect(e.code).toBe('VNC_PARAMS_INVALID');
      }
    });
  }

  it('reports the port message in the documented form', () => {
    const e = catchParamsError(() => validateVncParameters(withListener('port', 70000)));
    expect(e.message).toBe('listener.port: must be an integer 0..65535, got 70000');
    expect(e.reason).toBe('must be an integer 0..65535, got 70000');
  });

  it('normalises -0 to 0', () => {
    expect(Object.is(validateVncParameters(withListener('port', -0)).listener.port, 0)).toBe(true);
  });

  it('listener.host: accepts IPv4, IPv6 and localhost', () => {
    const hosts = ['127.0.0.1', '0.0.0.0', '::', '::1', 'fe80::1%eth0', '::ffff:10.0.0.1'];
    hosts.push('localhost');
    for (const host of hosts) {
      expect(validateVncParameters(withListener('host', host)).listener.host).toBe(host);
    }
  });

  it('listener.host: rejects names, bad literals, brackets and non-strings', () => {
    const hosts = ['banana', '999.1.1.1', '[::1]', '127.0.0.1:5900', '', ' ::1', 'LOCALHOST', 42];
    for (const host of hosts) {
      const e = catchParamsError(() => validateVncParameters(withListener('host', host)));
      expect(e.field).toBe('listener.host');
    }
  });

  it('evictOldest: accepts booleans only', () => {
    expect(validateVncParameters(withField('evictOldest', true)).evictOldest).toBe(true);
    for (const bad of [1, 'true', null]) {
      const e = catchParamsError(() => validateVncParameters(withField('evictOldest', bad)));
      expect(e.field).toBe('evictOldest');
    }
  });

  it('sharedPolicy: accepts each policy and nothing else', () => {
    for (const policy of SHARED_POLICIES) {
      expect(validateVncParameters(withField('sharedPolicy', policy)).sharedPolicy).toBe(policy);
    }
    for (const bad of ['exclusive', 'SHARE-ALL', 0]) {
      const e = catchParamsError(() => validateVncParameters(withField('sharedPolicy', bad)));
      expect(e.field).toBe('sharedPolicy');
      expect(e.message).toContain('refuse-exclusive');
    }
  });

  it('desktopName: accepts 1 and 255 UTF-8 bytes, rejects 0 and 256', () => {
    const name = (v: string): string =>
      validateVncParameters(withField('desktopName', v)).desktopName;
    expect(name('x')).toBe('x');
    expect(name('x'.repeat(255))).toHaveLength(255);
    // 'é' is two bytes in UTF-8: 127 of them plus one ASCII byte is 255 bytes.
    expect(name('é'.repeat(127) + 'x')).toHaveLength(128);
    for (const bad of ['', 'x'.repeat(256), 'é'.repeat(128), 'a\uD800b', 7]) {
      const e = catchParamsError(() => validateVncParameters(withField('desktopName', bad)));
      expect(e.field).toBe('desktopName');
    }
    const e = catchParamsError(() =>
      validateVncParameters(withField('desktopName', 'é'.repeat(128))),
    );
    expect(e.message).toBe('desktopName: must be 1..255 bytes of UTF-8, got 256 bytes');
  });
});

describe('validateVncParameters: shape', () => {
  it('rejects unknown top-level and listener fields', () => {
    const top = catchParamsError(() => validateVncParameters(withField('passwd', 'x')));
    expect(top.field).toBe('passwd');
    expect(top.message).toContain('unknown field');
    const inner = catchParamsError(() => validateVncParameters(withListener('backlog', 128)));
    expect(inner.field).toBe('listener.backlog');
  });

  it('bounds sniffWindowMs to 0..1000 and needs a boolean webConsole', () => {
    expect(validateVncParameters(withField('sniffWindowMs', 0)).sniffWindowMs).toBe(0);
    expect(validateVncParameters(withField('sniffWindowMs', 1000)).sniffWindowMs).toBe(1000);
    expect(catchParamsError(() => validateVncParameters(withField('sniffWindowMs', 1001))).field).toBe('sniffWindowMs');
    expect(catchParamsError(() => validateVncParameters(withField('webConsole', 'yes'))).field).toBe('webConsole');
  });

  it('accepts an optional VNC password of 1..8 Latin-1 characters and rejects others', () => {
    expect(validateVncParameters(withField('password', 'secret')).password).toBe('secret');
    expect(validateVncParameters(withField('password', '12345678')).password).toBe('12345678');
    expect('password' in validateVncParameters(defaultVncParameters())).toBe(false);
    for (const bad of ['', '123456789', 'pässwörd€', 42]) {
      expect(catchParamsError(() => validateVncParameters(withField('password', bad))).field).toBe('password');
    }
  });

  it('accepts optional TLS PEM text that loads, and names the problem otherwise', () => {
    const { cert, key } = testCert();
    const p = validateVncParameters(withField('tls', { cert, key }));
    expect(p.tls).toEqual({ cert, key });
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
    expect('tls' in validateVncParameters(defaultVncParameters())).toBe(false);
    expect(catchParamsError(() => validateVncParameters(withField('tls', { cert }))).field).toBe('tls.key');
    expect(catchParamsError(() => validateVncParameters(withField('tls', { key }))).field).toBe('tls.cert');
    expect(catchParamsError(() => validateVncParameters(withField('tls', { cert, key, ca: cert }))).field).toBe('tls.ca');
    expect(catchParamsError(() => validateVncParameters(withField('tls', 'pem'))).field).toBe('tls');
    const swapped = catchParamsError(() => validateVncParameters(withField('tls', { cert: key, key: cert })));
    expect(swapped.field).toBe('tls.cert');
    // Well-formed PEM that OpenSSL cannot load (a truncated certificate body).
    const broken = cert.replace(/\n[A-Za-z0-9+/=]{20,}\n/, '\nAAAA\n');
    const e = catchParamsError(() => validateVncParameters(withField('tls', { cert: broken, key })));
    expect(e.field).toBe('tls');
    expect(e.message).toMatch(/do not load together/);
  });

  it('rejects missing fields', () => {
    const keys = [
      'listener',
      'maxClients',
      'evictOldest',
      'sharedPolicy',
      'desktopName',
      'updateIntervalMs',
    ];
    for (const key of keys) {
      const p: Record<string, unknown> = { ...defaultVncParameters() };
      delete p[key];
      const e = catchParamsError(() => validateVncParameters(p));
      expect(e.field).toBe(key);
      expect(e.message).toContain('missing');
    }
    const e = catchParamsError(() =>
      validateVncParameters({ ...defaultVncParameters(), listener: { host: '::1' } }),
    );
    expect(e.field).toBe('listener.port');
  });

  it('rejects non-objects, arrays and class instances', () => {
    for (const bad of [null, undefined, 5, 'x', [], new Date(0), new Map()]) {
      const e = catchParamsError(() => validateVncParameters(bad));
      expect(e.field).toBe('');
      expect(e.message.startsWith('VNC parameters: must be an object')).toBe(true);
    }
    const e = catchParamsError(() => validateVncParameters(withField('listener', [])));
    expect(e.field).toBe('listener');
  });

  it('accepts a null-prototype object', () => {
    const p = Object.assign(Object.create(null) as object, defaultVncParameters());
    expect(validateVncParameters(p)).toEqual(defaultVncParameters());
  });

  it('returns a copy that does not alias the input', () => {
    const input = defaultVncParameters();
    const out = validateVncParameters(input);
    expect(out).not.toBe(input);
    expect(out.listener).not.toBe(input.listener);
  });

  it('recognises its error by code', () => {
    const e = catchParamsError(() => validateVncParameters(null));
    expect(isVncParametersError(e)).toBe(true);
    expect(isVncParametersError({ code: VNC_PARAMS_INVALID, field: 'x' })).toBe(true);
    expect(isVncParametersError(new Error('x'))).toBe(false);
    expect(e.name).toBe('VncParametersError');
  });
});

describe('serialisation', () => {
  const sample = defaultVncParameters({
    listener: { host: '::1', port: 5901 },
    maxClients: 0,
    evictOldest: true,
    sharedPolicy: 'refuse-exclusive',
    desktopName: 'Ünïcödé VM ✓',
    updateIntervalMs: 1000,
  });

  it('round-trips through JSON', () => {
    const back = validateVncParameters(JSON.parse(JSON.stringify(sample)));
    expect(back).toEqual(sample);
  });

  it('round-trips through structuredClone', () => {
    const back = validateVncParameters(structuredClone(sample));
    expect(back).toEqual(sample);
  });
});

describe('isLoopbackHost', () => {
  it('accepts loopback spellings', () => {
    for (const h of [
      '127.0.0.1',
      '127.255.255.254',
      '127.1.2.3',
      '::1',
      '0:0:0:0:0:0:0:1',
      '0000:0000::0001',
      '[::1]',
      'localhost',
      'LocalHost',
      '::ffff:127.0.0.1',
      '::FFFF:127.9.9.9',
      '::ffff:7f00:1',
    ]) {
      expect(isLoopbackHost(h), h).toBe(true);
    }
  });

  it('rejects everything else', () => {
    for (const h of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      '128.0.0.1',
      '::2',
      '1::1',
      '::ffff:10.0.0.1',
      '::127.0.0.1',
      'fe80::1%lo',
      'example.com',
      'localhost.example.com',
      '',
      '127.0.0.1:5900',
    ]) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
  });
});
