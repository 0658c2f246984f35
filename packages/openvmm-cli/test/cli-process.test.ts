/**
 * The CLI as a user runs it: bad values exit non-zero with one line, Ctrl-C (SIGINT) shuts down
 * cleanly, IPv6 listen addresses work, and the root `pnpm start -- ...` passes options through.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CLI_BIN, type CliProcess, collectOutput, exited, freePort, pinnedPnpm, startCli, waitForListening } from './helpers/cli-process.js';

const execFileP = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

let cli: CliProcess | undefined;
afterEach(async () => {
  await cli?.stop('SIGKILL');
  cli = undefined;
});

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [CLI_BIN, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Reads the 12-byte RFB version greeting from host:port. */
function greeting(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    let got = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 12) {
        s.destroy();
        resolve(got.subarray(0, 12).toString('latin1'));
      }
    });
    s.on('error', reject);
  });
}

describe('bad values', () => {
  for (const [args, mention] of [
    [['--gfx', '--vnc-port', '70000'], '--vnc-port'],
    [['--gfx', '--vnc-listen', 'banana'], '--vnc-listen'],
    [['--gfx', '--guest', 'windows95'], '--guest'],
    [['--gfx', '--no-such-option'], '--no-such-option'],
    [['--gfx', '--vnc-tls-cert', '/nonexistent/cert.pem', '--vnc-tls-key', '/nonexistent/key.pem'], '--vnc-tls-cert'],
    [['--gfx', '--vnc-tls-key', '/nonexistent/key.pem'], '--vnc-tls-key'],
  ] as const) {
    it(`${args.slice(1).join(' ')} exits 2 with one line naming ${mention}`, async () => {
      const r = await runCli([...args]);
      expect(r.code).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(mention);
      expect(r.stdout).toBe('');
    });
  }

  it('a port already in use is a one-line error', async () => {
    const port = await freePort();
    cli = await startCli(['--gfx', '--vnc-port', String(port)]);
    const r = await runCli(['--gfx', '--vnc-port', String(port)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('already in use');
  });
});

describe('help', () => {
  it('--help lists the VncCli group and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const opt of ['--gfx', '--vnc', '--vnc-port', '--vnc-listen', '--guest']) expect(r.stdout).toContain(opt);
    expect(r.stdout).toContain('VNC (graphical console)');
  });
});

describe('running', () => {
  it('Ctrl-C (SIGINT) shuts down cleanly with exit code 0', async () => {
    cli = await startCli(['--gfx', '--vnc-port', '0']);
    expect(await greeting(cli.host, cli.port)).toBe('RFB 003.008\n');
    const code = await cli.stop('SIGINT');
    expect(code).toBe(0);
    expect(cli.output()).toContain('Stopped.');
    cli = undefined;
  });

  it('prints the live state of the worker and the device on SIGUSR2', async () => {
    cli = await startCli(['--gfx', '--vnc-port', '0']);
    expect(await greeting(cli.host, cli.port)).toBe('RFB 003.008\n');
    cli.proc.kill('SIGUSR2');
    for (let i = 0; i < 100 && !cli.output().includes('"device"'); i++) await new Promise((r) => setTimeout(r, 50));
    const json = cli.output().slice(cli.output().indexOf('{'));
    const state = JSON.parse(json.slice(0, json.lastIndexOf('}') + 1)) as { vnc: { localAddr: { port: number }; accepted: number }; device: { state: string } };
    expect(state.vnc.localAddr.port).toBe(cli.port);
    expect(state.vnc.accepted).toBe(1);
    expect(state.device.state).toBe('active');
  });

  it('listens on IPv6 loopback given as [::1]:PORT', async () => {
    const port = await freePort();
    cli = await startCli(['--gfx', '--vnc-listen', `[::1]:${port}`]);
    expect(cli.host).toBe('::1');
    expect(cli.port).toBe(port);
    expect(cli.output()).toContain(`[::1]:${port}`);
    expect(await greeting('::1', port)).toBe('RFB 003.008\n');
  });

  it('root `pnpm start -- --vnc-port N --guest test-card` passes the options through', async () => {
    const port = await freePort();
    // The pinned pnpm from PATH, or through npx, as the root scripts find it.
    const [cmd, pre] = pinnedPnpm();
    const proc = spawn(cmd, [...pre, 'start', '--', '--vnc-port', String(port), '--guest', 'test-card'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const output = collectOutput(proc);
    try {
      const where = await waitForListening(proc, output, 120_000);
      expect(where.port).toBe(port);
      expect(output()).toContain('guest: test-card');
      expect(await greeting('127.0.0.1', port)).toBe('RFB 003.008\n');
      // Ctrl-C in a terminal signals the whole process group. pnpm itself dies of the signal (as
      // it does in a terminal); the VM must shut down cleanly and free the port.
      const done = exited(proc);
      process.kill(-proc.pid!, 'SIGINT');
      expect([0, 'SIGINT']).toContain(await done);
      for (let i = 0; i < 100 && !output().includes('Stopped.'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(output()).toContain('Stopped.');
      await expect(greeting('127.0.0.1', port)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(-proc.pid!, 'SIGKILL');
    }
  }, 180_000);
});
