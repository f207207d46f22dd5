/**
 * Where the end-to-end scenario runs its dashboards.
 *
 *  - Headless Chromium (Debian's `chromium`, driven by playwright-core): the dashboards served by
 *    synod-node's HTTP bridge. This is what `npm test` runs.
 *  - The desktop app through Playwright's `_electron`, on a developer machine where Electron's binary
 *    could be downloaded: `SYNOD_E2E_ELECTRON=1`. Each window is the app itself (its own replica in its
 *    own profile), so `launchDesktopApp` starts one per profile.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, chromium, type Browser, type ElectronApplication, type Page } from 'playwright-core';

export const SCREENSHOT_DIR = resolve(fileURLToPath(new URL('../../test-results/e2e', import.meta.url)));
export const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export interface DashboardBrowser {
  open(url: string): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<DashboardBrowser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: install Debian's chromium (apt-get install chromium; .ci/run does it)`);
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
