/**
 * Entry point of the VNC worker thread. Like OpenVMM's VNC worker in its own host, it talks to
 * the VM only through what it was started with: the VRAM `SharedArrayBuffer`, the format port,
 * the guest's input port and the device's dirt port. It runs a {@link VncCoordinator} and
 * answers the host's control requests.
 */

import { workerData } from 'node:worker_threads';
import { FramebufferView, Vram, createLogger, isKeyboardLeds, type FramebufferFormat, type InputEvent } from '@openvmm-vnc-ts/video-core';
import { type PointerMessage, decodeDirtBatch, validateVncWorkerInit } from '@openvmm-vnc-ts/vnc-worker-defs';
import { VncCoordinator } from '../coordinator.js';
import type { ControlMessage, ControlRequest, WorkerBoot } from './protocol.js';

const boot = workerData as WorkerBoot;
const control = boot.control;
const post = (m: ControlMessage): void => control.postMessage(m);
const logger = createLogger('vnc-worker', { level: boot.logLevel });

async function main(): Promise<void> {
  const { params, channels } = validateVncWorkerInit(boot.init);
  const view = new FramebufferView(new Vram(channels.vram), channels.format);
  channels.formatPort.on('message', (f: FramebufferFormat) => {
    if (!view.setFormat(f)) logger.warn('ignored a framebuffer format that does not fit VRAM', { ...f });
  });
  const input = { send: (e: InputEvent): void => channels.input.postMessage(e) };
  let vnc: VncCoordinator;
  try {
    vnc = await VncCoordinator.start(params, { framebuffer: view, input }, logger);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    post({ type: 'start-failed', code: e.code, message: e.message });
    return;
  }
  const dirt = channels.dirt;
  if (dirt) {
    dirt.on('message', (data: unknown) => {
      const rects = decodeDirtBatch(data);
      if (rects) vnc.dirt(rects);
      else logger.limited('warn', 'bad-dirt', 'ignored a malformed dirt batch');
    });
    dirt.on('close', () => vnc.dirtClosed());
  }
  // The guest reports its lock LEDs back on its input port.
  channels.input.on('message', (m: unknown) => {
    if (isKeyboardLeds(m)) vnc.setLeds(m);
  });
  channels.pointer?.on('message', (m: PointerMessage) => {
    if (m.type === 'shape') vnc.setPointerShape(m.shape);
    else if (m.type === 'visible') vnc.setPointerVisible(m.visible);
  });
  control.on('message', (req: ControlRequest) => {
    void handle(vnc, req);
  });
  const a = vnc.address();
  post({ type: 'listening', host: a.host, port: a.port });
}

async function handle(vnc: VncCoordinator, req: ControlRequest): Promise<void> {
  try {
    switch (req.op) {
      case 'inspect':
        post({ type: 'reply', id: req.id, result: vnc.inspect() });
        return;
      case 'restart':
        vnc.restart();
        post({ type: 'reply', id: req.id, result: vnc.parameters });
        return;
      case 'stop':
        await vnc.stop();
        post({ type: 'reply', id: req.id });
        boot.init.channels.formatPort.close();
        boot.init.channels.input.close();
        boot.init.channels.dirt?.close();
        boot.init.channels.pointer?.close();
        control.close();
        return;
    }
  } catch (err) {
    post({ type: 'reply', id: req.id, error: err instanceof Error ? err.message : String(err) });
  }
}

void main();
