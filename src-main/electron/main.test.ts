import { beforeEach, describe, expect, it, vi } from 'vitest';
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

  it('hardens every web contents, denies permissions and serves the version on startup', async () => {
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
    expect(await electron.ipcHandlers.get('synod:version')?.()).toBe('9.9.9');
  });
});
