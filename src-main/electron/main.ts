/**
 * Electron main process: the desktop shell around the same replica `synod-node` runs. It hosts the
 * replica (NodeHost) in this process, serves the renderer from `app://synod/` with a strict CSP, and
 * gives the window the SynodApi over IPC (src-main/electron/ipc.ts): calls only from the app's own
 * pages, every argument validated, events pushed to the window while it lives.
 *
 * Security posture: context isolation + sandbox on, no Node in the renderer, a custom protocol instead of
 * file://, no navigation, no new windows, no <webview>, every permission request denied.
 * `--profile NAME` gives a separate data directory, configuration and single-instance lock.
 */
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol, session } from 'electron';
import type { Session, WebContents, WebFrameMain, WebPreferences } from 'electron';
import type { SynodApi } from '../../shared/api';
import { announceHost, LanDiscovery } from '../node/discovery';
import { lineLogger, type Logger } from '../node/logger';
import { ConfigFile, NodeHost, type SavedConfig } from '../node/node-host';
import type { NodeOptions } from '../node/replica-node';
import { createNodeService, discoveryOff } from '../service/node-service';
import { StorageError } from '../storage/errors';
import { APP_SCHEME_PRIVILEGES, appProtocolHandler } from './app-protocol';
import { firstStartConfig } from './first-start';
import { forwardEvents, registerApiHandlers } from './ipc';
import { profileDirectory, profileFromArgv } from './profile';
import { APP_SCHEME, APP_URL_PREFIX, makeSenderCheck } from './trusted-sender';
import { unavailableApi } from './unavailable-api';
import { checkpointWorkerScript } from '../storage/checkpoint-builder';

/** Directory of the built bundle (out/main); preload and renderer live beside it. */
const OUT_MAIN_DIR = import.meta.dirname;

export const PRELOAD_PATH = join(OUT_MAIN_DIR, '../preload/index.cjs');
export const RENDERER_DIR = join(OUT_MAIN_DIR, '../renderer');

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

/** Accepts IPC only from frames showing the app's own pages: `app://synod/…`, or the electron-vite dev server when not packaged. */
export function isTrustedSender(frame: WebFrameMain | null): boolean {
  return makeSenderCheck(devRendererUrl())(frame);
}

/** The API a window gets before the replica runs (tests, or a failed start). */
const PLACEHOLDER_API = unavailableApi('the replica is not running');

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
  // Production pages come from the app:// protocol (see app-protocol.ts), never from file://.
  await win.loadURL(devRendererUrl() ?? `${APP_URL_PREFIX}index.html`);
  return win;
}

const DISCOVERY_OFF_NOTE = 'Finding clusters on the local network is turned off ("discover": false in config.json).';

/** NodeOptions for the saved configuration of this profile. */
export function nodeOptionsFor(saved: SavedConfig, userData: string, version: string, onFatal: (error: unknown) => void, logger: Logger = stderrLogger(saved.id)): NodeOptions {
  return {
    id: saved.id,
    name: saved.name,
    dataDir: join(userData, 'data'),
    listen: saved.listen,
    peers: new Map(saved.peers.map((peer) => [peer.id, { host: peer.host, port: peer.port }])),
    secret: saved.secret,
    join: saved.join ?? null,
    version,
    logger,
    onFatal,
    checkpointWorker: checkpointWorkerScript(import.meta.url),
  };
}

function stderrLogger(id: string): Logger {
  return lineLogger(id, (line) => process.stderr.write(line));
}

function fail(title: string, message: string, exitCode: number): void {
  dialog.showErrorBox(title, message);
  app.exit(exitCode);
}

/** The whole desktop app: profile, lock, protocol, replica, window. */
export async function bootDesktop(): Promise<void> {
  const profile = profileFromArgv(process.argv);
  if (!profile.ok) return fail('Synod', profile.message, 2);
  const userData = profileDirectory(app.getPath('userData'), profile.name);
  app.setPath('userData', userData);
  // One window per profile: a second start of the same profile focuses the first.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  await app.whenReady();
  protocol.handle(APP_SCHEME, appProtocolHandler(RENDERER_DIR));
  denyAllPermissions(session.defaultSession);

  const file = new ConfigFile(join(userData, 'config.json'));
  if (!file.exists()) file.save(await firstStartConfig());
  const saved = file.load();
  const logger = stderrLogger(saved.id);
  let host: NodeHost;
  try {
    host = await NodeHost.start(
      nodeOptionsFor(saved, userData, app.getVersion(), (error) => fail('Synod stopped', `The replica stopped after a storage failure: ${String(error)}`, 1), logger),
      { file },
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return fail('Synod cannot start its replica', message, error instanceof StorageError ? error.exitCode : 1);
  }
  // On unless turned off: people on one network find each other's clusters on the Peers page.
  const discovery = saved.discover === false ? null : new LanDiscovery({ logger });
  const stopAnnouncing = discovery === null ? null : announceHost(discovery, host);
  const api = createNodeService(host, discovery ?? discoveryOff(DISCOVERY_OFF_NOTE));
  registerIpcHandlers(api);
  let window = await createMainWindow(api);
  app.on('second-instance', () => {
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createMainWindow(api).then((created) => (window = created));
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  let stopped = false;
  app.on('before-quit', (event) => {
    if (stopped) return;
    event.preventDefault(); // a clean stop first: a goodbye on the network, the final checkpoint
    stopAnnouncing?.();
    void (async () => {
      try {
        await discovery?.stop().catch(() => undefined); // the replica stops whatever the network says
        await host.stop();
      } finally {
        stopped = true;
        app.quit();
      }
    })();
  });
}

// Only boot when actually running inside Electron (not when imported by tests
// or by plain Node).
if (process.versions['electron'] !== undefined) {
  void bootDesktop();
}
