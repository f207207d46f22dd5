import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { API_METHODS, DEFAULT_UDP_PORT } from '../../shared/api';
import { udpPortProblem } from '../node/free-port';
import { apiChannel } from '../../shared/ipc';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as electronModule from 'electron';
import { appProtocolHandler } from './app-protocol';
import * as main from './main';
import { profileFromArgv } from './profile';

type Listener = (...args: unknown[]) => unknown;

/** Minimal fake WebContents recording its handlers. */
class FakeWebContents {
  readonly listeners = new Map<string, Listener>();
  windowOpenHandler: (() => unknown) | undefined;
  setWindowOpenHandler(handler: () => unknown): void {
    this.windowOpenHandler = handler;
  }
  on(event: string, listener: Listener): this {
    this.listeners.set(event, listener);
    return this;
  }
}

const electron = vi.hoisted(() => {
  const created: { options: unknown; loadFile: unknown; loadURL: unknown }[] = [];
  return {
    created,
    paths: new Map<string, string>(),
    protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
    privilegedSchemes: [] as unknown[],
    exitCode: undefined as number | undefined,
    errorBoxes: [] as string[],
    appListeners: new Map<string, (...args: unknown[]) => unknown>(),
    ipcHandlers: new Map<string, (...args: unknown[]) => unknown>(),
    permissionRequestHandler: undefined as
      | ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void)
      | undefined,
    permissionCheckHandler: undefined as (() => boolean) | undefined,
  };
});

vi.mock('electron', () => {
  class BrowserWindow {
    static getAllWindows = vi.fn(() => []);
    readonly loadFile = vi.fn(() => Promise.resolve());
    readonly loadURL = vi.fn(() => Promise.resolve());
    readonly once = vi.fn();
    readonly show = vi.fn();
    readonly webContents = { send: vi.fn(), isDestroyed: vi.fn(() => false), once: vi.fn(), removeListener: vi.fn() };
    readonly isMinimized = vi.fn(() => false);
    readonly restore = vi.fn();
    readonly focus = vi.fn();
    constructor(readonly options: unknown) {
      electron.created.push({ options, loadFile: this.loadFile, loadURL: this.loadURL });
    }
  }
  return {
    BrowserWindow,
    app: {
      isPackaged: false,
      getVersion: vi.fn(() => '9.9.9'),
      quit: vi.fn(),
      on: vi.fn((event: string, listener: (...args: unknown[]) => unknown) => {
        electron.appListeners.set(event, listener);
      }),
      whenReady: vi.fn(() => Promise.resolve()),
      getPath: vi.fn((name: string) => electron.paths.get(name) ?? ''),
      setPath: vi.fn((name: string, path: string) => electron.paths.set(name, path)),
      requestSingleInstanceLock: vi.fn(() => true),
      exit: vi.fn((code: number) => {
        electron.exitCode = code;
      }),
    },
    dialog: {
      showErrorBox: vi.fn((title: string, message: string) => electron.errorBoxes.push(`${title}: ${message}`)),
    },
    protocol: {
      registerSchemesAsPrivileged: vi.fn((schemes: unknown[]) => electron.privilegedSchemes.push(...schemes)),
      handle: vi.fn((scheme: string, handler: (request: Request) => Promise<Response>) => electron.protocolHandlers.set(scheme, handler)),
    },
    ipcMain: {
      handle: vi.fn((channel: string, handler: (...args: unknown[]) => unknown) => {
        electron.ipcHandlers.set(channel, handler);
      }),
      removeHandler: vi.fn((channel: string) => {
        electron.ipcHandlers.delete(channel);
      }),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: vi.fn((handler: typeof electron.permissionRequestHandler) => {
          electron.permissionRequestHandler = handler;
        }),
        setPermissionCheckHandler: vi.fn((handler: typeof electron.permissionCheckHandler) => {
          electron.permissionCheckHandler = handler;
        }),
      },
    },
  };
});

// No multicast from unit tests: LAN discovery is a fake that records what the app announces.
const discovery = vi.hoisted(() => ({ announced: [] as unknown[], started: 0, stopped: 0 }));
vi.mock('../node/discovery', async (importOriginal) => {
  const original = await importOriginal<typeof import('../node/discovery')>();
  class LanDiscovery {
    constructor() {
      discovery.started++;
    }
    announce(announcement: unknown): void {
      discovery.announced.push(announcement);
    }
    view() {
      return { enabled: true, note: null, clusters: [] };
    }
    async stop(): Promise<void> {
      discovery.stopped++;
    }
  }
  return { ...original, LanDiscovery };
});

// Captured before any test runs: importing main.ts outside Electron must not boot the app.
const appListenersAfterImport = electron.appListeners.size;

function asWebContents(fake: FakeWebContents): Parameters<typeof main.hardenWebContents>[0] {
  return fake as unknown as Parameters<typeof main.hardenWebContents>[0];
}

describe('electron main shell', () => {
  beforeEach(() => {
    electron.created.length = 0;
    electron.appListeners.clear();
    electron.ipcHandlers.clear();
  });

  it('does not boot Electron when imported outside Electron', () => {
    expect(appListenersAfterImport).toBe(0);
  });

  it('creates the window with locked-down webPreferences and a CJS preload', async () => {
    await main.createMainWindow();
    expect(electron.created).toHaveLength(1);
    const options = electron.created[0]?.options as { webPreferences: Record<string, unknown> };
    expect(options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(options.webPreferences['preload']).toMatch(/[/\\]preload[/\\]index\.cjs$/);
    // Served from the app:// protocol, never file://.
    expect(electron.created[0]?.loadURL).toHaveBeenCalledWith('app://synod/index.html');
    expect(electron.created[0]?.loadFile).not.toHaveBeenCalled();
  });

  it('denies new windows, navigation, redirects and webview attachment', () => {
    const contents = new FakeWebContents();
    main.hardenWebContents(asWebContents(contents));

    expect(contents.windowOpenHandler?.()).toEqual({ action: 'deny' });
    for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const preventDefault = vi.fn();
      const listener = contents.listeners.get(event);
      expect(listener, event).toBeDefined();
      listener?.({ preventDefault });
      expect(preventDefault, event).toHaveBeenCalledOnce();
    }
  });

  it('boots: a profile, the app:// scheme, a real replica on first start, the API over IPC, a clean stop on quit', async () => {
    const userData = mkdtempSync(join(tmpdir(), 'synod-desktop-'));
    electron.paths.set('userData', userData);
    process.argv.push('--profile', 'laptop');
    // The usual port, unless something on this machine holds it right now (then the next free one, said plainly).
    const usualPortFree = (await udpPortProblem('0.0.0.0', DEFAULT_UDP_PORT)) === null;
    try {
      await main.bootDesktop();
      const profileDir = join(userData, 'profiles', 'laptop');
      expect(electron.paths.get('userData')).toBe(profileDir);
      expect(electron.privilegedSchemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
      expect(electron.protocolHandlers.has('app')).toBe(true);
      // Every web contents is hardened; permissions are denied.
      const contents = new FakeWebContents();
      electron.appListeners.get('web-contents-created')?.({}, contents);
      expect(contents.windowOpenHandler?.()).toEqual({ action: 'deny' });
      const callback = vi.fn();
      electron.permissionRequestHandler?.({}, 'media', callback);
      expect(callback).toHaveBeenCalledWith(false);
      expect(electron.permissionCheckHandler?.()).toBe(false);
      // First start: a one-node cluster that works at once.
      const config = JSON.parse(readFileSync(join(profileDir, 'config.json'), 'utf8')) as { id: string; peers: unknown[]; listen: { host: string; port: number }; portNote: string | null; discover: boolean };
      expect(config.peers).toEqual([]);
      expect(config.listen.host).toBe('0.0.0.0');
      if (usualPortFree) expect(config).toMatchObject({ listen: { port: DEFAULT_UDP_PORT }, portNote: null });
      else expect(config.portNote).toMatch(new RegExp(`^UDP port 7400, Synod's usual port, was in use .* so this node took ${config.listen.port}\\.`));
      expect([...electron.ipcHandlers.keys()].sort()).toEqual(API_METHODS.map(apiChannel).sort());
      const call = (method: string, args: unknown, url = 'app://synod/index.html') => electron.ipcHandlers.get(apiChannel(method as never))?.({ senderFrame: { url } }, args);
      expect(await call('status', undefined, 'file:///tmp/index.html')).toMatchObject({ error: { code: 'unauthorized' } });
      expect(await call('tweet', { text: 42 })).toMatchObject({ error: { code: 'invalid-argument' } });
      expect(await call('tweet', { text: 'hello from the desktop' })).toMatchObject({ result: { id: expect.stringMatching(new RegExp(`^${config.id}/`)) } });
      expect(await call('status', undefined)).toMatchObject({ result: { id: config.id, role: 'leader', address: `0.0.0.0:${config.listen.port}` } });
      expect(await call('config', undefined)).toMatchObject({ result: { port: config.listen.port, portNote: config.portNote } });
      // It announces its one-node cluster on the network, and lists what it hears.
      expect(discovery.started).toBe(1);
      expect(discovery.announced.at(-1)).toMatchObject({ id: config.id, members: 1, port: config.listen.port });
      expect(await call('discovered', undefined)).toEqual({ result: { enabled: true, note: null, clusters: [] } });
      // Quitting stops the replica first (final checkpoint), then quits for real.
      const preventDefault = vi.fn();
      electron.appListeners.get('before-quit')?.({ preventDefault });
      expect(preventDefault).toHaveBeenCalled();
      await vi.waitFor(() => expect(vi.mocked(electronModule.app.quit)).toHaveBeenCalled());
      expect(discovery.stopped).toBe(1);
    } finally {
      process.argv.splice(process.argv.indexOf('--profile'), 2);
      rmSync(userData, { recursive: true, force: true });
    }
  });

  it('serves only the renderer directory through app://, with the CSP header', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-renderer-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    try {
      const handler = appProtocolHandler(dir);
      const page = await handler(new Request('app://synod/index.html'));
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      for (const url of ['app://synod/../package.json', 'app://synod/%2e%2e/%2e%2e/etc/passwd', 'app://other/index.html', 'app://synod/missing.js']) {
        expect((await handler(new Request(url))).status, url).toBe(404);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad --profile with a message', () => {
    expect(profileFromArgv(['--profile', 'a b'])).toMatchObject({ ok: false, message: expect.stringMatching(/--profile needs a name/) });
    expect(profileFromArgv(['--profile=work'])).toEqual({ ok: true, name: 'work' });
    expect(profileFromArgv([])).toEqual({ ok: true, name: null });
  });
});

describe('isTrustedSender', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const frame = (url: string): Parameters<typeof main.isTrustedSender>[0] => ({ url }) as Parameters<typeof main.isTrustedSender>[0];

  it('accepts only the app:// origin without a dev server', () => {
    vi.stubEnv('ELECTRON_RENDERER_URL', undefined);
    expect(main.isTrustedSender(frame('app://synod/index.html'))).toBe(true);
    expect(main.isTrustedSender(frame('app://synod/'))).toBe(true);
    for (const url of ['app://synodx/index.html', 'app://evil/synod/', 'app://user@synod/', 'file:///app/index.html', 'http://localhost:5173/', 'https://example.com/', 'about:blank', '']) {
      expect(main.isTrustedSender(frame(url)), url).toBe(false);
    }
    expect(main.isTrustedSender(null)).toBe(false);
  });

  it('also accepts the electron-vite dev server origin when not packaged', () => {
    vi.stubEnv('ELECTRON_RENDERER_URL', 'http://localhost:5173');
    expect(main.isTrustedSender(frame('http://localhost:5173/'))).toBe(true);
    expect(main.isTrustedSender(frame('http://localhost:5173/index.html#/peers'))).toBe(true);
    expect(main.isTrustedSender(frame('http://localhost:5174/'))).toBe(false);
    expect(main.isTrustedSender(frame('http://127.0.0.1:5173/'))).toBe(false);
    expect(main.isTrustedSender(frame('https://localhost:5173/'))).toBe(false);
  });
});
