/**
 * End to end: the Scenarios page of a real member's dashboard, in headless Chromium, plays "Duelling
 * proposers: A wins" on three real synod-node processes: every step is seen, the intended member (n1)
 * leads at the end, and no member holds a fault afterwards. Its screenshot is docs/screenshots/scenarios.png.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessCluster, waitFor } from '../process/harness';
import { goTo, openDashboard, shot } from './pages';
import { launchBrowser, SCREENSHOT_DIR, SKIP_BROWSER_SUITES, type DashboardBrowser } from './targets';

const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/screenshots/scenarios.png', import.meta.url));

let cluster: ProcessCluster;
let browser: DashboardBrowser;

beforeAll(async () => {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  cluster = await ProcessCluster.start({ size: 3 });
  await cluster.waitForConvergence();
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await cluster?.dispose();
});

describe.skipIf(SKIP_BROWSER_SUITES)('the Scenarios page against a real 3-node cluster', () => {
  it('plays "Duelling proposers: A wins" from n3\'s dashboard, step by step, and leaves no fault behind', async () => {
    await waitFor(async () => (await Promise.all(cluster.nodes.map((node) => node.status()))).every((status) => status.peers.every((peer) => peer.reachable)), 20_000, 'every peer reachable');
    const p = await openDashboard(browser, cluster.node('n3'));
    await goTo(p, 'Scenarios');
    await p.getByRole('radio', { name: 'Duelling proposers: A wins' }).check();
    await p.getByRole('button', { name: 'Play' }).click();
    try {
      await p.getByText('Done. Every fault it set was cleared.').waitFor({ timeout: 45_000 });
    } catch (error) {
      await shot(p, 'failure-scenarios');
      throw error;
    }
    const steps = p.getByRole('list', { name: 'Steps' }).getByRole('listitem');
    expect(await steps.count()).toBe(3);
    for (let i = 0; i < 3; i++) expect(await steps.nth(i).textContent()).toContain('Seen');
    expect(await p.getByText(/n1 wins with ballot/).count()).toBe(1);
    await shot(p, 'scenarios');
    copyFileSync(`${SCREENSHOT_DIR}/scenarios.png`, DOCS_SCREENSHOT);
    expect((await cluster.waitForLeader()).spec.id).toBe('n1');
    for (const node of cluster.nodes) expect((await node.status()).remoteFaults).toEqual([]);
  }, 90_000);
});
