// `npm start` / `pnpm start`: install (first run), build, then start the demo VM with its
// graphical console (VNC on 127.0.0.1:5900 unless options say otherwise). Extra arguments go to
// the CLI: `pnpm start -- --vnc-port 5901 --guest test-card`.
import { constants } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureInstalled, pnpm, root, spawn } from './lib.mjs';

const args = process.argv.slice(2);
while (args[0] === '--') args.shift();

ensureInstalled();
pnpm(['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'], { stdio: ['ignore', 'ignore', 'inherit'] });

// The V8 flags the CLI sets for its worker threads, given on the command line so that the main
// thread has them too (see packages/vnc-worker/src/thread/v8-flags.ts).
const { VNC_PROCESS_V8_FLAGS } = await import(pathToFileURL(join(root, 'packages/vnc-worker/dist/thread/v8-flags.js')).href);
const child = spawn(process.execPath, [...VNC_PROCESS_V8_FLAGS, join(root, 'packages/openvmm-cli/dist/bin.js'), '--gfx', ...args], { stdio: 'inherit' });
// Pass signals on (a Ctrl-C in a terminal reaches the CLI directly as well; it ignores the
// repeat), and exit as the CLI did.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (constants.signals[signal] ?? 1) : 1)));
