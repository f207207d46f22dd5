import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { API_METHODS } from '../../shared/api';
import { apiChannel } from '../../shared/ipc';
import * as main from './main';

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
    expect(electron.created[0]?.loadFile).toHaveBeenCalledWith(main.RENDERER_HTML_PATH);
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

  it('hardens every web contents, denies permissions and serves the API on startup', async () => {
    main.startApp();
    const onCreated = electron.appListeners.get('web-contents-created');
    const contents = new FakeWebContents();
    onCreated?.({}, contents);
    expect(contents.windowOpenHandler?.()).toEqual({ action: 'deny' });

    await vi.waitFor(() => {
      expect(electron.created).toHaveLength(1);
    });
    const callback = vi.fn();
    electron.permissionRequestHandler?.({}, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
    expect(electron.permissionCheckHandler?.()).toBe(false);
    expect([...electron.ipcHandlers.keys()].sort()).toEqual(API_METHODS.map(apiChannel).sort());
    // No node is hosted yet: the app's own page gets `unavailable`, anyone else `unauthorized`.
    const status = electron.ipcHandlers.get(apiChannel('status'));
    expect(await status?.({ senderFrame: { url: 'app://synod/index.html' } }, undefined)).toMatchObject({ error: { code: 'unavailable' } });
    expect(await status?.({ senderFrame: { url: 'file:///tmp/index.html' } }, undefined)).toMatchObject({ error: { code: 'unauthorized' } });
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
