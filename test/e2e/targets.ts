/**
 * Where the end-to-end scenario runs its dashboards.
 *
 *  - Headless Chromium (Debian's `chromium`, driven by playwright-core): the dashboards served by
 *    synod-node's HTTP bridge. This is what `npm test` runs.
 *  - The desktop app through Playwright's `_electron`, on a developer machine where Electron's binary
 *    could be downloaded: `SYNOD_E2E_ELECTRON=1`. Each window is the app itself (its own replica in its
 *    own profile), so `launchDesktopApp` starts one per profile.
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, chromium, type Browser, type ElectronApplication, type Page } from 'playwright-core';

export const SCREENSHOT_DIR = resolve(fileURLToPath(new URL('../../test-results/e2e', import.meta.url)));

/** Browser names looked up on PATH, in order. */
const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/**
 * The Chromium the browser suites drive: $SYNOD_CHROMIUM, else the first of CHROMIUM_NAMES on $PATH,
 * else a browser Playwright downloaded (~/.cache/ms-playwright). Null when there is none.
 */
export function findChromium(env: Readonly<Record<string, string | undefined>> = process.env): string | null {
  const chosen = env['SYNOD_CHROMIUM'];
  if (chosen !== undefined && chosen !== '') return chosen;
  for (const dir of (env['PATH'] ?? '').split(delimiter).filter(Boolean)) {
    for (const name of CHROMIUM_NAMES) if (existsSync(join(dir, name))) return join(dir, name);
  }
  const cache = join(homedir(), '.cache', 'ms-playwright');
  const builds = existsSync(cache) ? readdirSync(cache).filter((name) => name.startsWith('chromium-')).sort().reverse() : [];
  for (const build of builds) {
    for (const binary of ['chrome-linux/chrome', 'chrome-linux64/chrome', 'chrome-mac/Chromium.app/Contents/MacOS/Chromium']) {
      if (existsSync(join(cache, build, binary))) return join(cache, build, binary);
    }
  }
  return null;
}

export const CHROMIUM_PATH = findChromium();
/** Outside CI a machine without a browser skips the browser suites (saying so); under CI=true they fail instead. */
export const SKIP_BROWSER_SUITES = CHROMIUM_PATH === null && process.env['CI'] !== 'true';
if (SKIP_BROWSER_SUITES) console.warn('Browser suites skipped: no Chromium found (set SYNOD_CHROMIUM=/path/to/chromium, or install chromium).');
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export interface DashboardBrowser {
  open(url: string): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<DashboardBrowser> {
  if (CHROMIUM_PATH === null) throw new Error("no Chromium found: set SYNOD_CHROMIUM, or install one (Debian: apt-get install chromium; .ci/run does it)");
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS, headless: true });
  return {
    async open(url) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
      const page = await context.newPage();
      await page.goto(url);
      return page;
    },
    close: () => browser.close(),
  };
}

/** The desktop app with its own replica, in profile `profile` (needs Electron's binary). */
export async function launchDesktopApp(profile: string, userDataRoot: string): Promise<{ app: ElectronApplication; window: Page }> {
  const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
  const app = await _electron.launch({
    args: [resolve(root, 'out/main/index.js'), '--profile', profile],
    env: { ...process.env, XDG_CONFIG_HOME: userDataRoot },
  });
  return { app, window: await app.firstWindow() };
}
