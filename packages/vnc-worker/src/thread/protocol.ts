/**
 * Messages between the VNC worker thread and its host: a tiny RPC (inspect, restart, stop) on a
 * control port, plus the worker's own reports (listening, fatal start error).
 */

/** Host -> worker requests. */
export type ControlRequest = { readonly id: number; readonly op: 'inspect' | 'restart' | 'stop' };

/** Worker -> host replies and reports. */
export type ControlMessage =
  | { readonly type: 'listening'; readonly host: string; readonly port: number }
  | { readonly type: 'start-failed'; readonly code: string | undefined; readonly message: string }
  | { readonly type: 'reply'; readonly id: number; readonly result?: unknown; readonly error?: string };

/** `workerData` of the worker thread, besides the transferred ports inside `init.channels`. */
export interface WorkerBoot {
  readonly init: import('@openvmm-vnc-ts/vnc-worker-defs').VncWorkerInit;
  readonly control: import('node:worker_threads').MessagePort;
  readonly logLevel: import('@openvmm-vnc-ts/video-core').LogLevel;
}
