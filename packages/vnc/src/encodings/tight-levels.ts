/**
 * The Tight levels a client asks for in its SetEncodings list: the compression level
 * (pseudo-encodings -256..-247 for levels 0..9) and the JPEG quality level (-32..-23 for 0..9).
 * They are read here, apart from the update builder, so the builder only passes them on.
 */

/** First compression-level pseudo-encoding (level 0). */
export const COMPRESS_LEVEL_0 = -256;
/** First JPEG quality-level pseudo-encoding (level 0). */
export const QUALITY_LEVEL_0 = -32;

/** The levels found in a SetEncodings list; undefined where the client sent none. */
export interface TightLevels {
  /** Compression level 0..9. */
  readonly compress: number | undefined;
  /** JPEG quality level 0..9; undefined means lossless only. */
  readonly quality: number | undefined;
}

/** Reads the levels from `list`; when a client sends several of one kind, the first counts. */
export function tightLevels(list: readonly number[]): TightLevels {
  let compress: number | undefined;
  let quality: number | undefined;
  for (const e of list) {
    if (compress === undefined && e >= COMPRESS_LEVEL_0 && e <= COMPRESS_LEVEL_0 + 9) compress = e - COMPRESS_LEVEL_0;
    else if (quality === undefined && e >= QUALITY_LEVEL_0 && e <= QUALITY_LEVEL_0 + 9) quality = e - QUALITY_LEVEL_0;
  }
  return { compress, quality };
}
