/**
 * The HTTP transport of the SynodApi for a headless node: a small local web server (node:http only)
 * serving the API, its event stream and the built dashboard.
 *
 *   POST /api/<method>   JSON argument in, `{result}` or `{error}` out (status by error code)
 *   GET  /api/events     Server-Sent Events, one `data: <SynodEvent JSON>` per event
 *   GET  /, /assets/...  the dashboard (out/renderer), or a page saying how to build it
 *
 * Security model (the threat is other web pages in the user's browser, and other local users):
 * - Access needs a credential: the API token (programmatic clients), or the dashboard session. The
 *   API accepts either ONLY as `Authorization: Bearer`, never from a cookie, so a cross-site page
 *   cannot ride on the browser's credentials (no CSRF), and a custom header forces a CORS preflight,
 *   which this server never approves (no Access-Control-Allow-* at all).
 * - The dashboard session is an HMAC of the API token (http-guard.ts), from which the token cannot be
 *   recovered; it stays the same across restarts as long as the token does, so an open dashboard keeps
 *   working after one. The URL printed at startup carries the API token once (`/?token=…`); the server
 *   checks it, answers with an HttpOnly, SameSite=Strict cookie holding the SESSION (never the token)
 *   and redirects to `/`, so the token stays neither in the address bar nor in history nor in any
 *   cookie. Cookies are not isolated by port: every other http://127.0.0.1:* server the browser visits
 *   receives this one. Such a server could use the dashboard until the token changes, but never learns
 *   the API token. The cookie's name carries the port, so several nodes on one machine each keep their own. index.html gets the session injected in a <meta> for the client to
 *   send as its Bearer header.
 * - Host must be the bound address or a loopback name at the bound port (DNS rebinding); a request
 *   with an Origin other than the bridge's own is refused (403); JSON bodies only (415 otherwise,
 *   which blocks HTML-form posts); bodies are capped at 64 KiB (413).
 * - Every response carries the dashboard's CSP, nosniff, no-referrer, DENY framing and no-store.
 * - It listens on loopback only, unless `allowRemote: true`. RISK: with remote access the token and
 *   every answer cross the network in clear text (plain HTTP): anyone on the path can read the token
 *   and then control the node. Use it only on a trusted network, or behind a TLS tunnel.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiErrorBody, SynodApi } from '../../shared/api';
import { dispatchApiCall } from '../../shared/api-dispatch';
import { isApiMethod } from '../../shared/validate';
import { readJsonBody, MAX_BODY_BYTES } from './http-body';
import { bearerToken, checkToken, cookieValue, hostForUrl, isLoopbackHost, isWildcardHost, makeCredentialCheck, makeHostCheck, makeTokenCheck, dashboardSessionFor, originAllowed, type Credential } from './http-guard';
import { htmlPage, send, sendApiError, sendHtml, sendJson, STATUS_FOR_CODE, type Headers } from './http-response';
import { KEEPALIVE_MS, serveEvents, type EventStream } from './http-sse';
import { serveStatic } from './http-static';

export interface HttpBridgeOptions {
  readonly api: SynodApi;
  /** Address to listen on; default 127.0.0.1. A non-loopback address needs `allowRemote`. */
  readonly host?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** The access token: 16..512 URL-safe characters (e.g. 32 random bytes in base64url). */
  readonly token: string;
  /** The built renderer (e.g. out/renderer); null when the dashboard is not built. */
  readonly staticDir: string | null;
  /** Listen on a non-loopback address. See the risk in this module's header. */
  readonly allowRemote?: boolean;
  /** SSE keepalive period; default 15 s (tests shorten it). */
  readonly keepaliveMs?: number;
}

export interface HttpBridge {
  /** Base URL, e.g. `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /** `url` plus `?token=…`: what to open in a browser. */
  readonly dashboardUrl: string;
  /** Stops listening and ends every open connection, event streams included. */
  close(): Promise<void>;
}

const API_PREFIX = '/api/';
const EVENTS_PATH = '/api/events';

interface BridgeContext {
  readonly api: SynodApi;
  /** The dashboard's credential for this run of the bridge (see the module header). */
  readonly session: string;
  readonly staticDir: string | null;
  readonly keepaliveMs: number;
  readonly hostAllowed: (header: string | undefined) => boolean;
  readonly tokenMatches: (presented: string | undefined) => boolean;
  readonly sessionMatches: (presented: string | undefined) => boolean;
  readonly credential: (presented: string | undefined) => Credential | null;
  readonly cookieName: string;
  readonly streams: Set<EventStream>;
}

function apiError(code: ApiErrorBody['code'], message: string): ApiErrorBody {
  return { code, message };
}

/** Refuses a request before routing: JSON for the API, text for anything else. */
function refuse(res: ServerResponse, isApi: boolean, status: number, error: ApiErrorBody, headers: Headers = {}): void {
  if (isApi) sendApiError(res, error, status, headers);
  else send(res, status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }, `${error.message}\n`);
}

async function handleApi(ctx: BridgeContext, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  if (ctx.credential(bearerToken(req.headers.authorization)) === null) {
    sendApiError(res, apiError('unauthorized', 'missing or wrong token: send it as "Authorization: Bearer <token>"'), 401, { 'WWW-Authenticate': 'Bearer realm="synod"' });
    return;
  }
  if (path === EVENTS_PATH) {
    if (req.method !== 'GET') {
      sendApiError(res, apiError('invalid-argument', `${EVENTS_PATH} takes GET`), 405, { Allow: 'GET' });
      return;
    }
    const stream = serveEvents(res, ctx.api, ctx.keepaliveMs);
    ctx.streams.add(stream);
    res.on('close', () => ctx.streams.delete(stream));
    return;
  }
  const method = path.slice(API_PREFIX.length);
  if (!isApiMethod(method)) {
    sendApiError(res, apiError('not-found', `no API method ${JSON.stringify(method)}`));
    return;
  }
  if (req.method !== 'POST') {
    sendApiError(res, apiError('invalid-argument', `${method} takes POST`), 405, { Allow: 'POST' });
    return;
  }
  const body = await readJsonBody(req, MAX_BODY_BYTES);
  if (!body.ok) {
    // After a refused body the rest of it may still be in flight: do not reuse this connection.
    sendApiError(res, apiError('invalid-argument', body.message), body.status, body.status === 413 ? { Connection: 'close' } : {});
    return;
  }
  const response = await dispatchApiCall(ctx.api, method, body.value);
  if ('error' in response) sendApiError(res, response.error, STATUS_FOR_CODE[response.error.code]);
  else sendJson(res, 200, response);
}

function unauthorizedPage(): string {
  return htmlPage(
    'Synod: access token needed',
    `<p>Open the dashboard with the link the node printed when it started (it ends in <code>?token=…</code>).</p>
    <p>If you just opened that link, <a href="/">continue to the dashboard</a>.</p>`,
  );
}

async function handleStatic(ctx: BridgeContext, req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<void> {
  const headOnly = req.method === 'HEAD';
  if (req.method !== 'GET' && !headOnly) {
    send(res, 405, { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' }, 'method not allowed\n');
    return;
  }
  const offered = new URLSearchParams(query).get('token');
  if (offered !== null) {
    if (!ctx.tokenMatches(offered)) {
      sendHtml(res, 401, unauthorizedPage(), headOnly);
      return;
    }
    // Always to `/`, never to a path taken from the request (`//evil.example` would be an open redirect).
    send(res, 303, { Location: '/', 'Set-Cookie': `${ctx.cookieName}=${ctx.session}; HttpOnly; SameSite=Strict; Path=/`, 'Content-Type': 'text/plain; charset=utf-8' }, 'see /\n', headOnly);
    return;
  }
  // The cookie holds the session only; the Authorization header may hold either credential.
  if (!ctx.sessionMatches(cookieValue(req.headers.cookie, ctx.cookieName)) && ctx.credential(bearerToken(req.headers.authorization)) === null) {
    sendHtml(res, 401, unauthorizedPage(), headOnly);
    return;
  }
  const outcome = await serveStatic(res, ctx.staticDir, path, ctx.session, headOnly);
  if (outcome === 'not-found') send(res, 404, { 'Content-Type': 'text/plain; charset=utf-8' }, 'not found\n', headOnly);
  else if (outcome === 'bad-request') send(res, 400, { 'Content-Type': 'text/plain; charset=utf-8' }, 'bad request\n', headOnly);
}

async function handle(ctx: BridgeContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = req.url ?? '/';
  const queryAt = target.indexOf('?');
  const path = queryAt < 0 ? target : target.slice(0, queryAt);
  const query = queryAt < 0 ? '' : target.slice(queryAt + 1);
  const isApi = path === '/api' || path.startsWith(API_PREFIX);

  const host = req.headers.host;
  if (host === undefined || !ctx.hostAllowed(host)) {
    refuse(res, isApi, 421, apiError('unauthorized', `this Synod node does not answer for host ${JSON.stringify(host ?? '')}; use the address it printed`));
    return;
  }
  if (!originAllowed(req.headers.origin, host)) {
    refuse(res, isApi, 403, apiError('unauthorized', 'cross-origin requests are not allowed'));
    return;
  }
  if (isApi) await handleApi(ctx, req, res, path);
  else await handleStatic(ctx, req, res, path, query);
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startHttpBridge(options: HttpBridgeOptions): Promise<HttpBridge> {
  const host = options.host ?? '127.0.0.1';
  checkToken(options.token);
  if (!isLoopbackHost(host) && options.allowRemote !== true) {
    throw new Error(`http bridge: refusing to listen on ${host}, which is not a loopback address: anyone who can reach it could try the token, and traffic is unencrypted. Pass allowRemote to do it anyway.`);
  }

  let ctx: BridgeContext | null = null;
  const server = createServer((req, res) => {
    if (ctx === null) {
      // Not possible in practice (requests arrive after listen() resolved); fail closed anyway.
      res.destroy();
      return;
    }
    const current = ctx;
    handle(current, req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      sendJson(res, 500, { error: apiError('internal', message) });
    });
  });
  const address = await listen(server, options.port ?? 0, host);
  const port = address.port;
  const session = dashboardSessionFor(options.token);
  ctx = {
    api: options.api,
    session,
    staticDir: options.staticDir,
    keepaliveMs: options.keepaliveMs ?? KEEPALIVE_MS,
    hostAllowed: makeHostCheck(host, port),
    tokenMatches: makeTokenCheck(options.token),
    sessionMatches: makeTokenCheck(session),
    credential: makeCredentialCheck(options.token, session),
    cookieName: `synod_session_${port}`,
    streams: new Set(),
  };
  const streams = ctx.streams;

  // A wildcard address is not somewhere to send a browser: point the URLs at loopback.
  const urlHost = isWildcardHost(host) ? (host.includes(':') ? '[::1]' : '127.0.0.1') : hostForUrl(host);
  const url = `http://${urlHost}:${port}/`;
  return {
    url,
    dashboardUrl: `${url}?token=${encodeURIComponent(options.token)}`,
    close() {
      return new Promise<void>((resolve, reject) => {
        for (const stream of streams) stream.close();
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
        // Idle keep-alive and still-open streams would otherwise hold close() open.
        server.closeAllConnections();
      });
    },
  };
}
