/**
 * Writing the HTTP bridge's responses: the security headers every response carries, JSON bodies for
 * the API (results and errors, with the status each error code maps to) and small HTML pages.
 *
 * Invariants: every response gets SECURITY_HEADERS; none ever gets Access-Control-Allow-* (the
 * bridge is not meant to be used cross-origin, so it never opts in to CORS).
 */
import type { ServerResponse } from 'node:http';
import type { ApiErrorBody, ApiErrorCode } from '../../shared/api';
import { RENDERER_CSP_HEADER } from '../../shared/csp';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': RENDERER_CSP_HEADER,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // API answers and index.html (it carries the token) must never be cached; the few static assets do
  // not need to be either.
  'Cache-Control': 'no-store',
};

/** The HTTP status for each API error code. `pending` is a failure to the caller (retry later), not 202. */
export const STATUS_FOR_CODE: Readonly<Record<ApiErrorCode, number>> = {
  'invalid-argument': 400,
  unauthorized: 401,
  'not-found': 404,
  rejected: 409,
  'needs-confirmation': 409,
  pending: 503,
  unavailable: 503,
  internal: 500,
};

export type Headers = Readonly<Record<string, string>>;

export function send(res: ServerResponse, status: number, headers: Headers, body: string | Buffer, headOnly = false): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'Content-Length': String(bytes.length) });
  res.end(headOnly ? undefined : bytes);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Headers = {}): void {
  send(res, status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(value));
}

export function sendApiError(res: ServerResponse, error: ApiErrorBody, status: number = STATUS_FOR_CODE[error.code], headers: Headers = {}): void {
  sendJson(res, status, { error }, headers);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A minimal standalone page (no scripts or inline styles: the CSP allows neither). `bodyHtml` is trusted markup. */
export function htmlPage(title: string, bodyHtml: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="color-scheme" content="light dark" />
    <title>${escapeHtml(title)}</title>
  </head>
  <body>
    <h1>${escapeHtml(title)}</h1>
    ${bodyHtml}
  </body>
</html>
`;
}

export function sendHtml(res: ServerResponse, status: number, html: string, headOnly = false, headers: Headers = {}): void {
  send(res, status, { 'Content-Type': 'text/html; charset=utf-8', ...headers }, html, headOnly);
}
