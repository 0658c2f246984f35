/**
 * Process-wide V8 settings for a process that hosts the VNC worker (the CLI, and the `peers`
 * benchmark's server, which is wired as the CLI is). Both flags are about a server whose code
 * runs a few dozen times a second, not millions of times as V8's defaults expect.
 *
 * `--no-memory-reducer`: V8's memory reducer waits until an isolate has been quiet for a while
 * (8 s after its heap last grew) and then runs up to three full mark-compact collections to
 * hand memory back. A VNC server goes quiet all the time (an idle desktop: a caret and a clock),
 * and every isolate of the process (main, guest, VNC worker) did this after start-up and after
 * every burst of activity: in `pnpm bench -- peers` (idle desktop, 2 frames/s) it was about
 * three quarters of the server's CPU time over the measured window, far more than serving the
 * clients. Without it, garbage is still collected as the heap fills (scavenges and ordinary
 * mark-compacts); what is lost is the extra shrinking of an idle heap, a few MB per isolate.
 *
 * V8 reads the flag when it creates an isolate, so it must be set before the worker threads are
 * started; the main thread's isolate, created before any code runs, keeps its reducer unless
 * node itself is started with the flag (`node --no-memory-reducer`), which is why the CLI's
 * executable (its shebang) and `npm start` pass it on node's command line. Measured in
 * `pnpm bench -- peers` (idle desktop, 1 client, 9 s window): 6.0 ms/s of server CPU with the
 * flag set at run time only, 2.9 ms/s with it on the command line as well.
 *
 * `--interrupt-budget=32768` (node 20's V8 default: 67,584): how much bytecode a function
 * runs between two checks of whether it is hot enough to be optimised. An update costs each
 * function on the update path a few hundred bytecodes, so at 2 to 30 updates a second most of
 * them stayed in V8's baseline tier for tens of seconds, and the optimising compiler was still
 * busy on its helper threads 30 s after start (seen with `perf`). With half the budget
 * they are optimised sooner. Measured in `pnpm bench -- peers`, two runs of each, ours alone:
 * idle desktop with 16 clients (9 s window after 30 s) 6.0 and 6.0 ms/s before, 4.8 and 4.5 after;
 * 1 client (window from 3 s) about the same (5.0 to 5.2 against 4.8 to 5.1); the 30 frames/s
 * workloads the same or a little better (drag over Raw 3.83 to 3.53 ms per frame, video over
 * Tight 57.4 to 54.8). A budget of 16 KiB cost the 1-client run more (5.4 to 5.6 ms/s).
 */

import { setFlagsFromString } from 'node:v8';

/** The V8 flags {@link applyVncProcessV8Flags} sets. */
export const VNC_PROCESS_V8_FLAGS: readonly string[] = ['--no-memory-reducer', '--interrupt-budget=32768'];

/**
 * Sets {@link VNC_PROCESS_V8_FLAGS} for the whole process. Call it once, first thing, before any
 * worker thread (guest or VNC) is started: isolates created afterwards run with them. It changes
 * V8 for every isolate the process creates later, so it is the embedding program's choice (the
 * CLI makes it); {@link VncWorker.start} does not call it.
 */
export function applyVncProcessV8Flags(): void {
  for (const flag of VNC_PROCESS_V8_FLAGS) setFlagsFromString(flag);
}
