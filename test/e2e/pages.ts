/** Driving a dashboard page as a user would, shared by the end-to-end scenarios. */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { ProcessCluster, waitFor, type ProcessNode } from '../process/harness';
import { launchBrowser, SCREENSHOT_DIR, type DashboardBrowser } from './targets';

/** A 3-node cluster that agreed on a leader, and a browser for its dashboards: the suites' set-up. */
export async function startClusterAndBrowser(): Promise<{ cluster: ProcessCluster; browser: DashboardBrowser }> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const cluster = await ProcessCluster.start({ size: 3 });
  await cluster.waitForConvergence();
  return { cluster, browser: await launchBrowser() };
}

export type PageName = 'Timeline' | 'People' | 'Peers' | 'Inspector' | 'Cluster' | 'Scenarios';

/** Opens `node`'s dashboard (its URL carries the API token) and waits for the navigation. */
export async function openDashboard(browser: DashboardBrowser, node: ProcessNode): Promise<Page> {
  const dashboard = await browser.open(`http://127.0.0.1:${node.spec.httpPort}/?token=${node.token}`);
  await dashboard.getByRole('link', { name: 'Timeline' }).waitFor();
  return dashboard;
}

export async function goTo(p: Page, name: PageName): Promise<void> {
  // The main navigation's link: a page may link to another in its text too (Cluster links to Scenarios).
  await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();
  await p.getByRole('heading', { name, level: 2 }).first().waitFor({ timeout: 10_000 }).catch(() => undefined);
}

/** A full-page screenshot in test-results/e2e/ (look at it). */
export async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true });
}

/** Waits for `check` on the page; on failure keeps a screenshot of what a user would have seen, named after `suite` and `what`. */
export async function waitOrShoot(p: Page, suite: string, what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  try {
    await waitFor(check, timeoutMs, what);
  } catch (error) {
    await shot(p, `failure-${suite}-${what.slice(0, 32).replace(/\W+/g, '-')}`);
    throw error;
  }
}
