/**
 * Serving the built dashboard (out/renderer) over the HTTP bridge.
 *
 * Invariants:
 * - only regular files inside `staticDir` are ever read: the decoded path is resolved and checked to
 *   stay inside the directory, and so is its real path (a symlink cannot lead out); dot-files,
 *   directories, NUL bytes and backslashes are refused; there is no directory listing;
 * - index.html is served with the dashboard's credential (its session value, never the API token)
 *   injected as `<meta name="synod-token">` (escaped), so the dashboard can send it as a Bearer header;
 * - the caller has already authenticated the request; this module only maps paths to files.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { escapeHtml, htmlPage, send, sendHtml } from './http-response';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export function contentTypeFor(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Inserts the token meta tag right after <head> (or at the top when there is none). */
export function injectToken(html: string, token: string): string {
  const meta = `<meta name="synod-token" content="${escapeHtml(token)}" />`;
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (head === null) return meta + html;
  const at = head.index + head[0].length;
  return `${html.slice(0, at)}\n    ${meta}${html.slice(at)}`;
}

export type StaticResult = 'served' | 'bad-request' | 'not-found';

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * The file under `root` a URL path names, or why not. `rawPath` is the URL's path, still
 * percent-encoded (decoding happens here, once, so an encoded `..` or `/` is caught like a plain one).
 */
export async function resolveStaticPath(root: string, rawPath: string): Promise<{ readonly file: string } | { readonly refused: 'bad-request' | 'not-found' }> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { refused: 'bad-request' };
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return { refused: 'bad-request' };
  const relativePath = decoded === '/' ? 'index.html' : decoded.slice(1);
  // Also catches `..` segments (before resolve() would fold them away) and hidden files.
  if (relativePath.split('/').some((segment) => segment.startsWith('.'))) return { refused: 'not-found' };
  const candidate = resolve(root, relativePath);
  if (!inside(root, candidate)) return { refused: 'not-found' };
  try {
    const [realRoot, real] = await Promise.all([realpath(root), realpath(candidate)]);
    if (!inside(realRoot, real) || !(await stat(real)).isFile()) return { refused: 'not-found' };
    return { file: real };
  } catch {
    return { refused: 'not-found' };
  }
}

const BUILD_COMMAND = 'npm run build';

function notBuiltPage(staticDir: string | null): string {
  const where = staticDir === null ? '' : ` (looked in <code>${escapeHtml(staticDir)}</code>)`;
  return htmlPage(
    'Synod dashboard not built',
    `<p>This node is running and its API is available, but the dashboard files are missing${where}.</p>
    <p>Build them in the Synod checkout with <code>${BUILD_COMMAND}</code>, then restart the node.</p>`,
  );
}

/** Serves `rawPath` from `staticDir` (`null` = the dashboard was not built), with `credential` in index.html. */
export async function serveStatic(res: ServerResponse, staticDir: string | null, rawPath: string, credential: string, headOnly: boolean): Promise<StaticResult> {
  const root = staticDir === null ? null : resolve(staticDir);
  const index = root === null ? null : await resolveStaticPath(root, '/');
  if (root === null || index === null || !('file' in index)) {
    if (rawPath !== '/') return 'not-found';
    sendHtml(res, 200, notBuiltPage(root === null ? null : join(root, 'index.html')), headOnly);
    return 'served';
  }
  const target = await resolveStaticPath(root, rawPath);
  if (!('file' in target)) return target.refused;
  const bytes = await readFile(target.file);
  if (target.file === index.file) {
    sendHtml(res, 200, injectToken(bytes.toString('utf8'), credential), headOnly);
  } else {
    send(res, 200, { 'Content-Type': contentTypeFor(target.file) }, bytes, headOnly);
  }
  return 'served';
}
