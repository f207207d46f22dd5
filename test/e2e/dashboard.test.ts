/**
 * End to end: three real synod-node processes, their dashboards (the real renderer, built) in headless
 * Chromium, driven as a user would, by accessible names. Screenshots of every page land in
 * test-results/e2e/ (look at them).
 *
 * The same scenario can drive the desktop app where Electron's binary is available: see targets.ts.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessCluster, waitFor, type ProcessNode } from '../process/harness';
import { goTo, openDashboard, shot } from './pages';
import { launchBrowser, SCREENSHOT_DIR, SKIP_BROWSER_SUITES, type DashboardBrowser } from './targets';
import type { Page } from 'playwright-core';

let cluster: ProcessCluster;
let browser: DashboardBrowser;
const pages = new Map<string, Page>();

function page(id: string): Page {
  const found = pages.get(id);
  if (found === undefined) throw new Error(`no page for ${id}`);
  return found;
}

async function open(node: ProcessNode): Promise<Page> {
  const dashboard = await openDashboard(browser, node);
  pages.set(node.spec.id, dashboard);
  return dashboard;
}

async function tweet(p: Page, text: string): Promise<void> {
  await goTo(p, 'Timeline');
  await p.getByLabel('Compose tweet').fill(text);
  await p.getByRole('button', { name: 'Tweet' }).click();
}

/** Waits until `text` is (or is no longer) on the page; on failure keeps a screenshot of what a user would see. */
async function expectText(p: Page, text: string, visible = true): Promise<void> {
  try {
    await p.getByText(text, { exact: false }).first().waitFor({ state: visible ? 'visible' : 'detached', timeout: 20_000 });
  } catch (error) {
    await shot(p, `failure-${text.slice(0, 24).replace(/\W+/g, '-')}`);
    throw error;
  }
}

beforeAll(async () => {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  cluster = await ProcessCluster.start({ size: 3 });
  await cluster.waitForConvergence();
  browser = await launchBrowser();
  for (const node of cluster.nodes) await open(node);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await cluster?.dispose();
});

describe.skipIf(SKIP_BROWSER_SUITES)('the dashboard against a real 3-node cluster', () => {
  it('a tweet from one node appears on all three timelines', async () => {
    await tweet(page('n1'), 'Hello from n1, through Paxos');
    for (const id of ['n1', 'n2', 'n3']) {
      await goTo(page(id), 'Timeline');
      await expectText(page(id), 'Hello from n1, through Paxos');
    }
    await expectText(page('n1'), 'slot');
    await shot(page('n1'), 'timeline');
  });

  it('a block takes effect on the blocked user’s timeline', async () => {
    const n1 = page('n1');
    await goTo(n1, 'People');
    await n1.getByRole('button', { name: 'Block n2' }).click();
    await n1.getByRole('button', { name: 'Unblock n2' }).waitFor({ timeout: 20_000 });
    await shot(n1, 'people');
    // n2 no longer sees n1's tweets; n3 still does.
    await goTo(page('n2'), 'Timeline');
    await expectText(page('n2'), 'Hello from n1, through Paxos', false);
    await goTo(page('n3'), 'Timeline');
    await expectText(page('n3'), 'Hello from n1, through Paxos');
    await goTo(page('n2'), 'People');
    await expectText(page('n2'), 'blocks you');
    await shot(page('n2'), 'people-blocked');
  });

  it('after SIGKILL of the leader the Cluster page shows the new leader; tweets go on; the killed node catches up', async () => {
    const leader = await cluster.waitForLeader();
    // Not n1: it blocks n2 (previous test), so n2 would rightly never see n1's tweet.
    const survivor = cluster.nodes.find((n) => n !== leader && n.spec.id !== 'n1') as ProcessNode;
    const view = page(survivor.spec.id);
    await goTo(view, 'Cluster');
    const members = view.getByRole('table', { name: 'Members' });
    await members.waitFor({ state: 'attached' });
    await leader.kill();
    await waitFor(
      async () => {
        const rows = await members.getByRole('row').allInnerTexts();
        return rows.some((row) => /leader/i.test(row) && !row.includes(leader.spec.id));
      },
      20_000,
      'a new leader in the Cluster page',
    );
    await shot(view, 'cluster');
    await tweet(view, 'Written while the old leader was down');
    await expectText(view, 'Written while the old leader was down');
    await leader.start();
    const back = await open(leader);
    await expectText(back, 'Written while the old leader was down');
    await shot(back, 'timeline-after-catch-up');
    // The restarted node says how it came back, in the banner and in status().recovery.
    await expectText(back, 'Recovered from disk in');
    await shot(back, 'recovery-banner');
    const { recovery } = await leader.status();
    expect(recovery.checkpointSlot + recovery.journalRecords).toBeGreaterThan(0);
    expect(recovery.learnedFromPeers).not.toBeNull();
    await waitFor(async () => (await leader.status()).recovery.caughtUp, 20_000, 'the restarted node caught up');
    await back.getByRole('button', { name: 'Dismiss' }).click();
    await expectText(back, 'Recovered from disk in', false);
  });

  it('the Inspector shows the same chosen slots on all three nodes', async () => {
    await cluster.waitForConvergence();
    const tables: string[][] = [];
    for (const node of cluster.nodes) {
      const p = page(node.spec.id);
      await goTo(p, 'Inspector');
      await p.getByLabel('Jump to slot').fill('1');
      await p.getByRole('button', { name: /jump/i }).click();
      const rows = p.getByRole('row');
      await rows.nth(3).waitFor();
      // Slot, status and commands; not the ballot, which is this replica's own (none for a slot it learned
      // by catch-up), nor where this node got the slot (the restarted one replayed some from its journal).
      const chosen: string[] = [];
      for (const row of await rows.all()) {
        const cells = await row.getByRole('gridcell').allInnerTexts();
        if (cells.length >= 5 && /chosen|no-op/i.test(cells[1] ?? '')) chosen.push([cells[0], cells[1], cells[4]].join(' | '));
      }
      tables.push(chosen.slice(0, 8));
    }
    expect(tables[0]?.length).toBeGreaterThan(3);
    expect(tables[1]).toEqual(tables[0]);
    expect(tables[2]).toEqual(tables[0]);
    await shot(page('n1'), 'inspector');
    await goTo(page('n1'), 'Peers');
    await expectText(page('n1'), 'n2');
    await shot(page('n1'), 'peers');
  });
});
