/**
 * Electron main-process entry (placeholder shell). Creates one locked-down
 * BrowserWindow for the Svelte renderer and wires the preload's IPC handlers.
 *
 * Security posture: context isolation + sandbox on, no Node in the renderer,
 * no navigation, no new windows, no <webview>, every permission request denied.
 */
import { join } from 'node:path';
import { app, BrowserWindow, ipcMain, session } from 'electron';
import type { Session, WebContents, WebPreferences } from 'electron';
import { IpcChannel } from '../../shared/api';

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

export function registerIpcHandlers(): void {
  ipcMain.handle(IpcChannel.version, () => app.getVersion());
}

export async function createMainWindow(): Promise<BrowserWindow> {
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
  // Set by `electron-vite dev`; production loads the built files from disk.
  const devUrl = process.env['ELECTRON_RENDERER_URL'];
  if (devUrl !== undefined && !app.isPackaged) {
    await win.loadURL(devUrl);
  } else {
    await win.loadFile(RENDERER_HTML_PATH);
  }
  return win;
}

export function startApp(): void {
  app.on('web-contents-created', (_event, contents) => {
    hardenWebContents(contents);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createMainWindow();
  });
  void app.whenReady().then(async () => {
    denyAllPermissions(session.defaultSession);
    registerIpcHandlers();
    await createMainWindow();
  });
}

// Only boot when actually running inside Electron (not when imported by tests
// or by plain Node).
if (process.versions['electron'] !== undefined) {
  startApp();
}
