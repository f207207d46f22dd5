/**
 * Serves the built renderer from `app://synod/…` instead of file:// (Electron's security checklist:
 * a custom, standard, secure scheme gives the pages a real origin, keeps them away from the file
 * system, and lets every response carry the Content-Security-Policy as a header).
 *
 * Invariant: only files inside the renderer directory are served; anything else is a 404.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { RENDERER_CSP_HEADER } from '../../shared/csp';
import { APP_HOST, APP_SCHEME } from './trusted-sender';

/** Registered before the app is ready: a standard, secure scheme (like https) for the app's pages. */
export const APP_SCHEME_PRIVILEGES = { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } } as const;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

const SECURITY_HEADERS = {
  'Content-Security-Policy': RENDERER_CSP_HEADER,
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** The file under `rendererDir` that `url` names, or null if it names nothing the app serves. */
export function rendererFileFor(url: string, rendererDir: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const relative = path === '/' ? 'index.html' : path.replace(/^\/+/, '');
  const root = normalize(rendererDir + sep);
  const file = normalize(join(rendererDir, relative));
  return file.startsWith(root) ? file : null;
}

/** The protocol handler: the file with its content type and the security headers, or a 404. */
export function appProtocolHandler(rendererDir: string): (request: Request) => Promise<Response> {
  return async (request) => {
    const file = rendererFileFor(request.url, rendererDir);
    if (file === null) return new Response('Not found', { status: 404, headers: SECURITY_HEADERS });
    try {
      const body = await readFile(file);
      return new Response(body, { status: 200, headers: { ...SECURITY_HEADERS, 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' } });
    } catch {
      return new Response('Not found', { status: 404, headers: SECURITY_HEADERS });
    }
  };
}
