/**
 * The desktop app itself, through Playwright's `_electron`: needs Electron's binary, which machines
 * without internet (this project's CI) cannot download, so it runs only with SYNOD_E2E_ELECTRON=1 (after
 * `npm run build`). It checks the embedded default: a fresh profile is a one-node cluster that works at once.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { launchDesktopApp, SCREENSHOT_DIR } from './targets';

const enabled = process.env['SYNOD_E2E_ELECTRON'] === '1';

describe.runIf(enabled)('the desktop app (Electron)', () => {
  it('a fresh profile tweets at once, and every page renders', async () => {
    const userDataRoot = mkdtempSync(join(tmpdir(), 'synod-desktop-e2e-'));
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const { app, window } = await launchDesktopApp('e2e', userDataRoot);
    try {
      await window.getByLabel('Compose tweet').fill('Hello from the desktop app');
      await window.getByRole('button', { name: 'Tweet' }).click();
      await window.getByText('slot', { exact: false }).first().waitFor({ timeout: 20_000 });
      for (const page of ['Timeline', 'People', 'Peers', 'Inspector', 'Cluster'] as const) {
        await window.getByRole('link', { name: page }).click();
        await window.screenshot({ path: join(SCREENSHOT_DIR, `desktop-${page.toLowerCase()}.png`) });
      }
    } finally {
      await app.close();
      rmSync(userDataRoot, { recursive: true, force: true });
    }
  });
});
