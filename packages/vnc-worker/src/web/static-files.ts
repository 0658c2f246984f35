/**
 * Serving noVNC's ES modules from the installed `@novnc/novnc` package (a dependency, not a
 * copy), under `/novnc/`: `/novnc/core/rfb.js` is `<package>/core/rfb.js`.
 *
 * Only the `core/` and `vendor/` folders are served (everything `core/rfb.js` imports). Path
 * traversal is refused before touching the file system: the path is percent-decoded once, and a
 * decoded path with an empty, `.` or `..` segment, a backslash or a NUL is refused; the real path
 * (symlinks resolved) must still lie inside the package folder. Files are read once and kept in
 * memory (the served folders are about 1 MB).
 */

import { readFile, realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, sep } from 'node:path';
import { HttpError } from './http.js';

/** URL prefix of the noVNC files. */
export const NOVNC_PREFIX = '/novnc/';

/** Top-level package folders that are served. */
const SERVED_DIRS: ReadonlySet<string> = new Set(['core', 'vendor']);

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/** The `Content-Type` served for a file name (by extension). */
export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

let rootPromise: Promise<string> | undefined;

/**
 * The real path of the installed `@novnc/novnc` package folder. Its `exports` is the single
 * entry `./core/rfb.js` (so `@novnc/novnc/package.json` cannot be resolved); the folder is two
 * levels above that entry.
 */
export function novncRoot(): Promise<string> {
  rootPromise ??= (async () => {
    const entry = createRequire(import.meta.url).resolve('@novnc/novnc');
    return realpath(dirname(dirname(entry)));
  })();
  return rootPromise;
}

/** A file ready to send. */
export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
}

const cache = new Map<string, StaticFile>();

/**
 * The noVNC file for a request path that starts with {@link NOVNC_PREFIX} (not yet
 * percent-decoded). Throws {@link HttpError} 400 (undecodable) or 404 (refused or missing).
 */
export async function readNovncFile(urlPath: string): Promise<StaticFile> {
  if (!urlPath.startsWith(NOVNC_PREFIX)) throw new HttpError(404, 'not a noVNC path');
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.slice(NOVNC_PREFIX.length));
  } catch {
    throw new HttpError(400, 'bad percent-encoding');
  }
  if (/[\0\\]/.test(decoded)) throw new HttpError(400, 'NUL or backslash in path');
  const segments = decoded.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw new HttpError(404, 'empty, "." or ".." path segment');
  if (!SERVED_DIRS.has(segments[0]!)) throw new HttpError(404, 'outside the served folders');
  const root = await novncRoot();
  const hit = cache.get(decoded);
  if (hit) return hit;
  let real: string;
  try {
    real = await realpath(join(root, ...segments));
    if (!real.startsWith(root + sep) || !(await stat(real)).isFile()) throw new Error('not a file inside the package');
  } catch {
    throw new HttpError(404, 'no such file');
  }
  const file: StaticFile = { body: await readFile(real), contentType: contentTypeFor(real) };
  cache.set(decoded, file);
  return file;
}
