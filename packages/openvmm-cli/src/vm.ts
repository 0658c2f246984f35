/**
 * The demo VM: VRAM, a guest on its own thread, the synthetic video device, and (with a
 * console) the VNC worker on its own thread, wired the way OpenVMM wires them.
 *
 * - The guest writes pixels straight into the shared VRAM and speaks synthvid to the device
 *   over a MessagePort (our VMBus pipe).
 * - The VNC worker gets the VRAM, the current format and a port for format changes, the
 *   guest's input port (keyboard and mouse go straight to the guest), and with `--gfx` the
 *   device's dirt port. With `--vnc` alone the device is there (the guest still needs a video
 *   mode) but no dirt channel is wired, so the worker finds changes by tile diff.
 */

import { FramebufferView, type LogLevel, type Logger, SynthvidDevice, Vram, spawnGuestThread } from '@openvmm-vnc-ts/video-core';
import { VncWorker, dirtChannel, formatChannel, pointerChannel } from '@openvmm-vnc-ts/vnc-worker';
import { validateVncParameters } from '@openvmm-vnc-ts/vnc-worker-defs';
import type { CliOptions } from './vnc-cli.js';

/** A running VM. */
export interface RunningVm {
  /** The VNC worker, when a console was asked for. */
  readonly vnc: VncWorker | undefined;
  /** The synthetic video device. */
  readonly device: SynthvidDevice;
  /** Stops the console, the device and the guest. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the VM described by `options`. Rejects (after cleaning up) if the console cannot listen. */
export async function startVm(options: CliOptions, logger: Logger, logLevel: LogLevel): Promise<RunningVm> {
  const vram = new Vram();
  const view = new FramebufferView(vram);
  const guest = await spawnGuestThread(options.guest, vram, {});
  const dirt = options.vnc && options.gfx ? dirtChannel() : undefined;
  const pointer = options.vnc && options.gfx ? pointerChannel() : undefined;
  const device = new SynthvidDevice({
    port: guest.video,
    view,
    logger: logger.child('synthvid'),
    onDirt: dirt ? (rects) => dirt.sender.send(rects) : undefined,
    onClose: () => dirt?.sender.close(),
    onPointerShape: pointer ? (shape) => pointer.sender.shape(shape) : undefined,
    onPointerPosition: pointer ? (p) => pointer.sender.visible(p.visible) : undefined,
  });
  let vnc: VncWorker | undefined;
  if (options.vnc) {
    try {
      vnc = await VncWorker.start(
        {
          params: validateVncParameters(options.params),
          channels: {
            vram: vram.buffer,
            format: view.format,
            formatPort: formatChannel(view),
            input: guest.input,
            dirt: dirt?.port,
            pointer: pointer?.port,
          },
        },
        { logLevel },
      );
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
