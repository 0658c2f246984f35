/**
 * The demo VM: VRAM, a guest on its own thread, the synthetic video device, and (with a
 * console) the VNC coordinator, wired the way OpenVMM wires them.
 *
 * - The guest writes pixels straight into the shared VRAM and speaks synthvid to the device
 *   over a MessagePort (our VMBus pipe).
 * - `--gfx`: the device forwards the guest's DIRT rectangles to the VNC coordinator.
 * - `--vnc` alone: the device is there (the guest still needs a video mode), but its dirt
 *   channel is not wired, so the coordinator finds changes by tile diff.
 * - Keyboard and mouse events from every viewer go to the guest's input port.
 */

import {
  FramebufferView,
  type InputEvent,
  type Logger,
  SynthvidDevice,
  Vram,
  spawnGuestThread,
} from '@openvmm-vnc-ts/video-core';
import { VncCoordinator } from '@openvmm-vnc-ts/vnc-worker';
import { validateVncParameters } from '@openvmm-vnc-ts/vnc-worker-defs';
import type { CliOptions } from './vnc-cli.js';

/** A running VM. */
export interface RunningVm {
  /** The VNC coordinator, when a console was asked for. */
  readonly vnc: VncCoordinator | undefined;
  /** The synthetic video device. */
  readonly device: SynthvidDevice;
  /** Stops the console, the device and the guest. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the VM described by `options`. */
export async function startVm(options: CliOptions, logger: Logger): Promise<RunningVm> {
  const vram = new Vram();
  const view = new FramebufferView(vram);
  const guest = await spawnGuestThread(options.guest, vram, {});
  let vnc: VncCoordinator | undefined;
  const device = new SynthvidDevice({
    port: guest.video,
    view,
    logger: logger.child('synthvid'),
    onDirt: options.gfx ? (rects) => vnc?.dirt(rects) : undefined,
    onClose: () => vnc?.dirtClosed(),
  });
  const input = {
    send(event: InputEvent): void {
      guest.input.postMessage(event);
    },
  };
  if (options.vnc) {
    try {
      vnc = await VncCoordinator.start(validateVncParameters(options.params), { framebuffer: view, input }, logger.child('vnc-worker'));
    } catch (err) {
      device.close();
      await guest.terminate();
      throw err;
    }
  }
  let stopping: Promise<void> | undefined;
  return {
    vnc,
    device,
    stop() {
      stopping ??= (async () => {
        await vnc?.stop();
        device.close();
        await guest.terminate();
      })();
      return stopping;
    },
  };
}
