import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, type SynodEvent } from '../../shared/api';
import { RENDERER_CSP } from '../../shared/csp';
import { startHttpBridge, type HttpBridge } from './http-bridge';
import { spyApi } from '../../test/support/spy-api';

const TOKEN = 'test-token-0123456789abcdef';

/** A test double of the node's API: records calls, answers with `respond`, pushes events with `emit`. */
function fakeApi() {
  return spyApi((method, args) => Promise.resolve({ method, args: args ?? null }));
}

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: unknown;
}

interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

let bridge: HttpBridge;
let port: number;
/** The dashboard session of the running bridge (what its cookie holds). */
let session: string;
let fake: ReturnType<typeof fakeApi>;
let workDir: string;
let staticDir: string;

/** A raw request (node:http, so Host and the path go out exactly as given). */
function request(path: string, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { Host: `127.0.0.1:${port}`, ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const auth = { Authorization: `Bearer ${TOKEN}` };
const json = { ...auth, 'Content-Type': 'application/json' };
const post = (method: string, body?: unknown, headers: Record<string, string> = json): Promise<Reply> =>
  request(`/api/${method}`, { method: 'POST', headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'synod-bridge-'));
  staticDir = join(workDir, 'renderer');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><html><head><title>Synod</title></head><body><script type="module" src="./assets/app.js"></script></body></html>');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log("app");');
  writeFileSync(join(staticDir, 'assets', 'app.css'), 'body{}');
  writeFileSync(join(staticDir, '.env'), 'SECRET=1');
  writeFileSync(join(workDir, 'secret.txt'), 'outside');
  symlinkSync(join(workDir, 'secret.txt'), join(staticDir, 'link-out.txt'));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

const SET_COOKIE = /^synod_session_(\d+)=([A-Za-z0-9_-]{43}); HttpOnly; SameSite=Strict; Path=\/$/;

/** Opens the printed URL as a browser would and returns the session value its cookie gets. */
async function login(): Promise<string> {
  const reply = await request(`/?token=${TOKEN}`);
  const match = SET_COOKIE.exec(reply.headers['set-cookie']?.[0] ?? '');
  if (reply.status !== 303 || match === null) throw new Error(`login failed: ${reply.status} ${JSON.stringify(reply.headers['set-cookie'])}`);
  return match[2] as string;
}

beforeEach(async () => {
  fake = fakeApi();
  bridge = await startHttpBridge({ api: fake.api, host: '127.0.0.1', port: 0, token: TOKEN, staticDir, keepaliveMs: 50 });
  port = Number(new URL(bridge.url).port);
  session = await login();
});

afterEach(async () => {
  await bridge.close();
});

describe('startHttpBridge', () => {
  it('reports its URLs', () => {
    expect(bridge.url).toBe(`http://127.0.0.1:${port}/`);
    expect(bridge.dashboardUrl).toBe(`http://127.0.0.1:${port}/?token=${TOKEN}`);
  });

  it('refuses a non-loopback address unless allowRemote, and weak tokens', async () => {
    await expect(startHttpBridge({ api: fake.api, host: '0.0.0.0', port: 0, token: TOKEN, staticDir: null })).rejects.toThrow(/not a loopback address.*allowRemote/);
    await expect(startHttpBridge({ api: fake.api, port: 0, token: 'short', staticDir: null })).rejects.toThrow(/token/);
    await expect(startHttpBridge({ api: fake.api, port: 0, token: 'has space in it 0123456789', staticDir: null })).rejects.toThrow(/token/);
    const remote = await startHttpBridge({ api: fake.api, host: '0.0.0.0', port: 0, token: TOKEN, staticDir: null, allowRemote: true });
    expect(remote.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await remote.close();
  });
});

describe('API', () => {
  it('answers a call with {result}, passing the validated argument', async () => {
    const reply = await post('tweet', { text: 'hello' });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ result: { method: 'tweet', args: { text: 'hello' } } });
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(fake.calls).toEqual([{ method: 'tweet', args: { text: 'hello' } }]);
  });

  it('treats an empty body as no argument', async () => {
    const reply = await post('status', undefined, auth);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ result: { method: 'status', args: null } });
  });

  it('needs the right bearer token (and never takes it from a cookie)', async () => {
    for (const headers of [
      {},
      { Authorization: 'Bearer wrong-token-0123456789abcdef' },
      { Authorization: TOKEN },
      { Authorization: `Basic ${TOKEN}` },
      { Cookie: `synod_session_${port}=${TOKEN}` },
      { Cookie: `synod_session_${port}=${session}` },
    ] as Record<string, string>[]) {
      const reply = await request('/api/status', { method: 'POST', headers });
      expect(reply.status, JSON.stringify(headers)).toBe(401);
      expect(reply.json).toMatchObject({ error: { code: 'unauthorized' } });
      expect(reply.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expect(fake.calls).toEqual([]);
  });

  it('answers for the bound address and loopback names only (DNS rebinding)', async () => {
    for (const host of [`localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `127.0.0.1:${port}`]) {
      expect((await request('/api/status', { method: 'POST', headers: { ...auth, Host: host } })).status, host).toBe(200);
    }
    for (const host of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, 'localhost', `127.0.0.2:${port}`, `localhost.evil.example:${port}`]) {
      const reply = await request('/api/status', { method: 'POST', headers: { ...auth, Host: host } });
      expect(reply.status, host).toBe(421);
      expect(reply.json).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect((await request('/', { headers: { Host: `evil.example:${port}` } })).status).toBe(421);
  });

  it('refuses foreign origins with 403 and sends no CORS headers', async () => {
    for (const origin of ['http://evil.example', `http://localhost:${port}`, 'null', `https://127.0.0.1:${port}`]) {
      const reply = await request('/api/status', { method: 'POST', headers: { ...auth, Origin: origin } });
      expect(reply.status, origin).toBe(403);
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
    }
    const preflight = await request('/api/status', { method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.status).toBe(403);
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    // The dashboard's own same-origin requests.
    const own = await request('/api/status', { method: 'POST', headers: { ...auth, Origin: `http://127.0.0.1:${port}` } });
    expect(own.status).toBe(200);
    expect(own.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('needs application/json for a body (no form posts)', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const reply = await request('/api/tweet', { method: 'POST', headers: { ...auth, 'Content-Type': type }, body: '{"text":"x"}' });
      expect(reply.status, type).toBe(415);
      expect(reply.json).toMatchObject({ error: { code: 'invalid-argument' } });
    }
    const missing = await request('/api/tweet', { method: 'POST', headers: auth, body: '{"text":"x"}' });
    expect(missing.status).toBe(415);
    expect((await post('tweet', { text: 'x' }, { ...auth, 'Content-Type': 'Application/JSON; charset=utf-8' })).status).toBe(200);
    expect(fake.calls).toHaveLength(1);
  });

  it('refuses bodies over 64 KiB with 413', async () => {
    const declared = await request('/api/tweet', { method: 'POST', headers: json, body: JSON.stringify({ text: 'x'.repeat(70_000) }) });
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({ error: { code: 'invalid-argument', message: 'request body exceeds 64 KiB' } });
    // Chunked, so the size is only found out while reading.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/tweet', method: 'POST', headers: { ...json, Host: `127.0.0.1:${port}`, 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(10_000));
      req.end();
    });
    expect(chunked).toBe(413);
    expect(fake.calls).toEqual([]);
  });

  it('refuses invalid arguments with 400 and a message', async () => {
    const reply = await post('block', { user: 'not a user id' });
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ error: { code: 'invalid-argument', message: expect.stringMatching(/^block: user must be a user id/) as unknown } });
    expect((await post('timeline', { limit: 9999 })).json).toMatchObject({ error: { code: 'invalid-argument', message: expect.stringContaining('limit') as unknown } });
    const malformed = await request('/api/tweet', { method: 'POST', headers: json, body: '{"text":' });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ error: { code: 'invalid-argument', message: 'the request body is not valid JSON' } });
    expect(fake.calls).toEqual([]);
  });

  it('answers unknown methods with 404 and wrong HTTP methods with 405', async () => {
    for (const method of ['nope', 'constructor', '__proto__', 'subscribe', '']) {
      const reply = await post(method, {});
      expect(reply.status, method).toBe(404);
      expect(reply.json).toMatchObject({ error: { code: 'not-found' } });
    }
    expect((await request('/api/status', { headers: auth })).status).toBe(405);
    expect((await request('/api/events', { method: 'POST', headers: auth })).status).toBe(405);
  });

  it('maps ApiError codes to statuses and keeps code, message and id', async () => {
    const cases = [
      ['invalid-argument', 400],
      ['unauthorized', 401],
      ['not-found', 404],
      ['rejected', 409],
      ['pending', 503],
      ['unavailable', 503],
      ['internal', 500],
    ] as const;
    for (const [code, status] of cases) {
      fake.respond(() => Promise.reject(new ApiError({ code, message: `it is ${code}`, id: 'n1/4' })));
      const reply = await post('tweet', { text: 'x' });
      expect(reply.status, code).toBe(status);
      expect(reply.json).toEqual({ error: { code, message: `it is ${code}`, id: 'n1/4' } });
    }
    fake.respond(() => Promise.reject(new RangeError('disk on fire')));
    const reply = await post('users');
    expect(reply.status).toBe(500);
    expect(reply.json).toEqual({ error: { code: 'internal', message: 'disk on fire' } });
  });

  it('puts the security headers on every response', async () => {
    for (const reply of [await post('status'), await request('/api/status', { method: 'POST' }), await request('/'), await request('/nothing')]) {
      expect(reply.headers['content-security-policy']).toBe(`${RENDERER_CSP}; frame-ancestors 'none'`);
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.headers['referrer-policy']).toBe('no-referrer');
      expect(reply.headers['x-frame-options']).toBe('DENY');
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
    }
  });
});

describe('event stream', () => {
  /** Opens /api/events and collects what arrives; `close()` disconnects. */
  function openStream(headers: Record<string, string> = auth) {
    const received: string[] = [];
    let status = 0;
    let contentType = '';
    const req = httpRequest({ host: '127.0.0.1', port, path: '/api/events', headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      status = res.statusCode ?? 0;
      contentType = res.headers['content-type'] ?? '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => received.push(chunk));
    });
    req.on('error', () => {});
    req.end();
    return {
      text: () => received.join(''),
      status: () => status,
      contentType: () => contentType,
      close: () => req.destroy(),
    };
  }

  it('delivers events as SSE data lines, with keepalives, and unsubscribes on disconnect', async () => {
    const stream = openStream();
    await expect.poll(() => fake.listeners.size).toBe(1);
    expect(stream.status()).toBe(200);
    expect(stream.contentType()).toBe('text/event-stream; charset=utf-8');
    const event: SynodEvent = { type: 'chosen', fromSlot: 3, toSlot: 5 };
    fake.emit(event);
    fake.emit({ type: 'trace', messages: [] });
    await expect.poll(() => stream.text()).toContain(`data: ${JSON.stringify({ type: 'trace', messages: [] })}\n\n`);
    expect(stream.text()).toContain(`data: ${JSON.stringify(event)}\n\n`);
    await expect.poll(() => stream.text()).toContain(': keepalive\n\n');
    stream.close();
    await expect.poll(() => fake.listeners.size).toBe(0);
  });

  it('needs the bearer token', async () => {
    const stream = openStream({});
    await expect.poll(() => stream.status()).toBe(401);
    expect(fake.listeners.size).toBe(0);
    stream.close();
  });

  it('ends open streams when the bridge closes', async () => {
    openStream();
    await expect.poll(() => fake.listeners.size).toBe(1);
    await bridge.close();
    expect(fake.listeners.size).toBe(0);
    bridge = await startHttpBridge({ api: fake.api, port: 0, token: TOKEN, staticDir }); // for afterEach
  });
});

describe('dashboard', () => {
  const cookie = () => `synod_session_${port}=${session}`;

  it('swaps the URL token for a strict HttpOnly cookie holding a session, never the token, and redirects to /', async () => {
    const reply = await request(`/?token=${TOKEN}`);
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/');
    expect(reply.headers['set-cookie']).toEqual([`synod_session_${port}=${session}; HttpOnly; SameSite=Strict; Path=/`]);
    // Cookies reach every http://127.0.0.1:* server the browser visits: the API token must not be in one.
    expect(session).not.toBe(TOKEN);
    expect(reply.headers['set-cookie']?.[0]).not.toContain(TOKEN);
    // Never an open redirect, whatever the path.
    expect((await request(`//evil.example/?token=${TOKEN}`)).headers.location).toBe('/');
  });

  it('takes the dashboard session as the API credential too; a restart with the same token keeps it, a new token ends it', async () => {
    expect((await post('status', undefined, { Authorization: `Bearer ${session}` })).status).toBe(200);
    expect((await post('status', undefined, auth)).status).toBe(200);
    const previous = session;
    await bridge.close();
    bridge = await startHttpBridge({ api: fake.api, port: 0, token: TOKEN, staticDir });
    port = Number(new URL(bridge.url).port);
    // An open dashboard goes on with the cookie and the session it had.
    expect((await post('status', undefined, { Authorization: `Bearer ${previous}` })).status).toBe(200);
    expect((await request('/', { headers: { Cookie: `synod_session_${port}=${previous}` } })).status).toBe(200);

    await bridge.close();
    const otherToken = 'another-token-0123456789';
    bridge = await startHttpBridge({ api: fake.api, port: 0, token: otherToken, staticDir });
    port = Number(new URL(bridge.url).port);
    expect((await post('status', undefined, { Authorization: `Bearer ${previous}` })).status).toBe(401);
    expect((await request('/', { headers: { Cookie: `synod_session_${port}=${previous}` } })).status).toBe(401);
    expect((await post('status', undefined, { Authorization: `Bearer ${otherToken}` })).status).toBe(200);
  });

  it('refuses a wrong URL token and requests without the cookie', async () => {
    const wrong = await request('/?token=wrong-token-0123456789abcdef');
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect(wrong.text).toContain('?token=');
    for (const path of ['/', '/assets/app.js', '/index.html']) {
      expect((await request(path)).status, path).toBe(401);
      expect((await request(path, { headers: { Cookie: `synod_session_${port}=nope` } })).status, path).toBe(401);
      expect((await request(path, { headers: { Cookie: `synod_session_${port + 1}=${session}` } })).status, path).toBe(401);
      // The API token is no cookie value: the dashboard's cookie holds the session only.
      expect((await request(path, { headers: { Cookie: `synod_session_${port}=${TOKEN}` } })).status, path).toBe(401);
    }
  });

  it('serves index.html with the session (never the API token) injected, and assets with their content types', async () => {
    const index = await request('/', { headers: { Cookie: `other=1; ${cookie()}` } });
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.text).toContain(`<head>\n    <meta name="synod-token" content="${session}" /><title>Synod</title>`);
    expect(index.text).not.toContain(TOKEN);
    const js = await request('/assets/app.js', { headers: { Cookie: cookie() } });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.text).toBe('console.log("app");');
    expect((await request('/assets/app.css', { headers: { Cookie: cookie() } })).headers['content-type']).toBe('text/css; charset=utf-8');
    // The Authorization header works as well as the cookie.
    expect((await request('/assets/app.js', { headers: auth })).status).toBe(200);
    const head = await request('/assets/app.js', { method: 'HEAD', headers: { Cookie: cookie() } });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect((await request('/', { method: 'POST', headers: { Cookie: cookie() } })).status).toBe(405);
  });

  it('makes path traversal impossible and lists no directories', async () => {
    const cases: [string, number][] = [
      ['/../secret.txt', 404],
      ['/../../../../etc/passwd', 404],
      ['/%2e%2e/secret.txt', 404],
      ['/%2E%2E%2Fsecret.txt', 404],
      ['/assets/..%2f..%2fsecret.txt', 404],
      ['/assets/%2e%2e/%2e%2e/secret.txt', 404],
      ['/..%5csecret.txt', 400],
      ['/%00', 400],
      ['/%E0%A4%A', 400],
      ['/link-out.txt', 404],
      ['/.env', 404],
      ['/assets', 404],
      ['/assets/', 404],
      ['/missing.js', 404],
    ];
    for (const [path, status] of cases) {
      const reply = await request(path, { headers: { Cookie: cookie() } });
      expect(reply.status, path).toBe(status);
      expect(reply.text, path).not.toContain('outside');
    }
  });

  it('says how to build the dashboard when it is not built', async () => {
    await bridge.close();
    bridge = await startHttpBridge({ api: fake.api, port: 0, token: TOKEN, staticDir: null });
    port = Number(new URL(bridge.url).port);
    session = await login();
    const page = await request('/', { headers: { Cookie: cookie() } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('npm run build');
    expect((await request('/assets/app.js', { headers: { Cookie: cookie() } })).status).toBe(404);
    // The API works regardless.
    expect((await post('status')).status).toBe(200);

    await bridge.close();
    bridge = await startHttpBridge({ api: fake.api, port: 0, token: TOKEN, staticDir: join(workDir, 'not-there') });
    port = Number(new URL(bridge.url).port);
    session = await login();
    expect((await request('/', { headers: { Cookie: cookie() } })).text).toContain('not-there');
  });

  it('injects the token escaped', async () => {
    // The token alphabet has nothing to escape; the helper still escapes, for defense in depth.
    const { injectToken } = await import('./http-static');
    expect(injectToken('<html><head lang="x"></head></html>', '"><script>')).toBe('<html><head lang="x">\n    <meta name="synod-token" content="&#34;&#62;&#60;script&#62;" /></head></html>');
    expect(readFileSync(join(staticDir, 'index.html'), 'utf8')).not.toContain('synod-token');
  });
});
