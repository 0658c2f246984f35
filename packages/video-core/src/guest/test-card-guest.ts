/**
 * The test-card guest: brings the synthvid device up, paints the test card once, reports it
 * with DIRT and then stays still.
 *
 * It is the simplest well-behaved guest there is, which makes it the reference for tests
 * (the picture is deterministic, see `test-card.ts`) and for checking a VNC viewer's colours.
 * It keeps its input port open and drains it, like a VM that ignores the keyboard.
 */

import { silentLogger } from '../log.js';
import { GuestCanvas } from './canvas.js';
import { SynthvidGuestDriver } from './driver.js';
import { guestSurfaceSize, quietly } from './options.js';
import type { GuestHandle, GuestOptions } from './options.js';
import { drawTestCard } from './test-card.js';

/** A running test-card guest. */
export interface TestCardGuest extends GuestHandle {
  /** Resolves once the card is drawn and its DIRT sent (same as {@link GuestHandle.ready}). */
  readonly drawn: Promise<void>;
  /** The surface the guest draws on. */
  readonly canvas: GuestCanvas;
  /** The protocol driver (for tests). */
  readonly driver: SynthvidGuestDriver;
}

/**
 * Starts the test-card guest on the current thread. Throws `RangeError` synchronously when the
 * size is invalid or below 320x200; bring-up failures reject {@link TestCardGuest.drawn}.
 */
export function startTestCardGuest(opts: GuestOptions): TestCardGuest {
  const { width, height } = guestSurfaceSize(opts);
  const log = (opts.logger ?? silentLogger).child('test-card-guest');
  const canvas = new GuestCanvas(opts.vram, { width, height });
  const driver = new SynthvidGuestDriver(opts.video, { logger: log, ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) });
  // Ignore input, but keep the port draining (a VM that has no use for the keyboard).
  const onInput = (): void => {};
  opts.input.on('message', onInput);
  let stopped = false;

  const drawn = quietly(
    (async () => {
      await driver.connect({ width, height });
      if (stopped) throw new Error('test-card guest stopped');
      const rect = drawTestCard(canvas);
      driver.sendDirt([rect]);
      log.info('test card drawn', { width, height });
    })(),
  );
  drawn.catch((e: unknown) => {
    if (!stopped) log.error('test-card guest failed to start', { error: String(e) });
  });

  return {
    drawn,
    ready: drawn,
    canvas,
    driver,
    stop(): void {
      if (stopped) return;
      stopped = true;
      driver.close();
      opts.input.off('message', onInput);
      opts.video.close();
      opts.input.close();
    },
  };
}
