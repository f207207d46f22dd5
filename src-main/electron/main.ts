/**
 * Electron main-process entry (placeholder shell). Creates one locked-down
 * BrowserWindow for the Svelte renderer and serves the SynodApi to it over IPC
 * (src-main/electron/ipc.ts): calls only from the app's own pages, events
 * pushed to the window while it lives.
 *
 * Security posture: context isolation + sandbox on, no Node in the renderer,
 * no navigation, no new windows, no <webview>, every permission request denied.
 */
import { join } from 'node:path';
import { app, BrowserWindow, ipcMain, session } from 'electron';
import type { Session, WebContents, WebFrameMain, WebPreferences } from 'electron';
import type { SynodApi } from '../../shared/api';
import { forwardEvents, registerApiHandlers } from './ipc';
import { makeSenderCheck } from './trusted-sender';
import { unavailableApi } from './unavailable-api';

/** Directory of the built bundle (out/main); preload and renderer live beside it. */
const OUT_MAIN_DIR = import.meta.dirname;

export const PRELOAD_PATH = join(OUT_MAIN_DIR, '../preload/index.cjs');
export const RENDERER_HTML_PATH = join(OUT_MAIN_DIR, '../renderer/index.html');

export function rendererWebPreferences(preload: string = PRELOAD_PATH): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  };
}

/** Applied to every WebContents the app creates (via `web-contents-created`). */
export function hardenWebContents(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => {
    event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
  });
}

export function denyAllPermissions(ses: Session): void {
  ses.setPermissionRequestHandler((_contents, _permission, callback) => {
    callback(false);
  });
  ses.setPermissionCheckHandler(() => false);
}

/** Set by `electron-vite dev`; never honoured in a packaged app. */
function devRendererUrl(): string | undefined {
  return app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL'];
}

/**
 * Accepts IPC only from frames showing the app's own pages: `app://synod/…`, or the electron-vite dev
 * server when not packaged. Until the shell serves the renderer over `app://` (it still uses
 * loadFile), production windows are file:// pages and their calls are refused as unauthorized.
 */
export function isTrustedSender(frame: WebFrameMain | null): boolean {
  return makeSenderCheck(devRendererUrl())(frame);
}

/** The API the window gets until the shell hosts a replica in the main process. */
const PLACEHOLDER_API = unavailableApi('the desktop app does not host a Synod node yet');

export function registerIpcHandlers(api: SynodApi = PLACEHOLDER_API): () => void {
  return registerApiHandlers(ipcMain, api, isTrustedSender);
}

export async function createMainWindow(api: SynodApi = PLACEHOLDER_API): Promise<BrowserWindow> {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    title: 'Synod',
    show: false,
    webPreferences: rendererWebPreferences(),
  });
  win.once('ready-to-show', () => {
    win.show();
  });
  forwardEvents(api, win.webContents);
  // Production loads the built files from disk.
  const devUrl = devRendererUrl();
  if (devUrl !== undefined) {
    await win.loadURL(devUrl);
  } else {
    await win.loadFile(RENDERER_HTML_PATH);
  }
  return win;
}

export function startApp(api: SynodApi = PLACEHOLDER_API): void {
  app.on('web-contents-created', (_event, contents) => {
    hardenWebContents(contents);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createMainWindow(api);
  });
  void app.whenReady().then(async () => {
    denyAllPermissions(session.defaultSession);
    registerIpcHandlers(api);
    await createMainWindow(api);
  });
}

// Only boot when actually running inside Electron (not when imported by tests
// or by plain Node).
if (process.versions['electron'] !== undefined) {
  startApp();
}
