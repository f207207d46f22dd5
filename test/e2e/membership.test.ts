/**
 * End to end, membership: a cluster grown with `synod-node --join`, a fresh one-node instance joined
 * to it from its own dashboard's Peers page in headless Chromium (the join progress watched in the
 * live region), the newcomer shown as a member on the Cluster page of an existing member, then a
 * member removed from a Peers page (with its confirmation). Real processes on loopback; screenshots
 * in test-results/e2e/ (look at them).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackUdpPort, freeTcpPort, ProcessNode, waitFor } from '../process/harness';
import { goTo, openDashboard, shot, waitOrShoot } from './pages';
import { launchBrowser, SCREENSHOT_DIR, SKIP_BROWSER_SUITES, type DashboardBrowser } from './targets';

/** The secret of the cluster n1 starts (n2 and later n3 join it). */
const SECRET = 'membership-e2e-cluster-secret';
const TWEET = 'Hello from n1, before n3 joined';

let baseDir: string;
let browser: DashboardBrowser | undefined;
const nodes = new Map<string, ProcessNode>();

function node(id: string): ProcessNode {
  const found = nodes.get(id);
  if (found === undefined) throw new Error(`no node ${id}`);
  return found;
}

/** A synod-node on loopback with its dashboard; `extra` says which cluster (--join, --secret). */
async function startNode(id: string, extra: readonly string[]): Promise<ProcessNode> {
  const spec = { id, udpPort: await freeLoopbackUdpPort(), httpPort: await freeTcpPort(), dataDir: join(baseDir, id) };
  const created = new ProcessNode(spec, ['--id', id, '--data', spec.dataDir, '--listen', `127.0.0.1:${spec.udpPort}`, '--http', `127.0.0.1:${spec.httpPort}`, ...extra]);
  nodes.set(id, created);
  await created.start();
  return created;
}

const udpAddress = (n: ProcessNode): string => `127.0.0.1:${n.spec.udpPort}`;

async function memberIds(n: ProcessNode): Promise<string[]> {
  return ((await n.status()).membership.members ?? []).map((m) => m.id).sort();
}

async function open(n: ProcessNode): Promise<Page> {
  if (browser === undefined) throw new Error('no browser');
  return openDashboard(browser, n);
}

/** Waits for `check` on the page; on failure keeps a screenshot (pages.ts). */
function until(p: Page, what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  return waitOrShoot(p, 'membership', what, check, timeoutMs);
}

/** The body rows of a table, cell texts joined by " | ". */
async function tableRows(p: Page, name: string): Promise<string[]> {
  const rows = await p.getByRole('table', { name }).getByRole('row').all();
  const texts: string[] = [];
  for (const row of rows.slice(1)) texts.push((await row.locator('th, td').allInnerTexts()).map((cell) => cell.replace(/\s+/g, ' ').trim()).join(' | '));
  return texts;
}

/** The Cluster page's members table (screen-reader only, the diagram's content): id → membership column. */
async function clusterMembers(p: Page): Promise<Map<string, string>> {
  const table = p.getByRole('table', { name: 'Members' });
  const members = new Map<string, string>();
  for (const row of (await table.getByRole('row').all()).slice(1)) {
    const cells = await row.locator('th, td').allTextContents();
    members.set((cells[0] ?? '').replace(' (this node)', '').trim(), (cells[2] ?? '').trim());
  }
  return members;
}

beforeAll(async () => {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  baseDir = mkdtempSync(join(tmpdir(), 'synod-e2e-membership-'));
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([...nodes.values()].map((n) => n.kill()));
  if (baseDir !== undefined) rmSync(baseDir, { recursive: true, force: true });
});

describe.skipIf(SKIP_BROWSER_SUITES)('membership through the dashboard, against real processes', () => {
  let n1Page: Page;
  let n3Page: Page;

  it('grows a one-node cluster to two with synod-node --join; a tweet from n1', async () => {
    const n1 = await startNode('n1', ['--secret', SECRET]);
    const n2 = await startNode('n2', ['--secret', SECRET, '--join', udpAddress(n1)]);
    await waitFor(async () => (await memberIds(n1)).join() === 'n1,n2' && (await memberIds(n2)).join() === 'n1,n2', 30_000, 'n1 and n2 both report 2 members');
    expect([undefined, 'member']).toContain((await n2.status()).membership.joining?.stage);

    n1Page = await open(n1);
    await goTo(n1Page, 'Timeline');
    await n1Page.getByLabel('Compose tweet').fill(TWEET);
    await n1Page.getByRole('button', { name: 'Tweet' }).click();
    await n1Page.getByText(TWEET).first().waitFor({ timeout: 20_000 });
    await waitFor(async () => (await n2.call('timeline')).some((entry) => entry.text === TWEET), 20_000, 'the tweet on n2');
  });

  it('a fresh one-node instance joins from its Peers page and shows the progress up to "Member"', async () => {
    const n1 = node('n1');
    const n3 = await startNode('n3', ['--secret', 'n3-own-one-node-secret']);
    expect((await n3.call('config')).hasHistory).toBe(false);

    n3Page = await open(n3);
    const p = n3Page;
    await goTo(p, 'Peers');
    // Before: its own one-node cluster, nothing to discard, so no consent is asked for.
    await until(p, 'n3 alone in its members table', async () => (await tableRows(p, 'The members of the cluster')).length === 1);
    expect((await tableRows(p, 'The members of the cluster'))[0]).toMatch(/^n3 this node/);
    expect(await p.getByText('n3 is the last member: a cluster needs at least one.').isVisible()).toBe(true);
    expect(await p.getByRole('checkbox').count()).toBe(0);
    expect(await p.getByText(/history will be discarded/).count()).toBe(0);

    const joinButton = p.getByRole('button', { name: 'Join cluster' });
    expect(await joinButton.isEnabled()).toBe(true);
    await p.getByLabel('Address of a member (host:port)').fill(udpAddress(n1));
    await p.getByLabel('Secret of the cluster to join').fill(SECRET);
    await shot(p, 'peers-join-form');

    // Record every text the live region announces, from the click on.
    const live = p.locator('p.join-message[role="status"]');
    await live.evaluate((region) => {
      const seen: string[] = [];
      (window as unknown as { joinAnnouncements: string[] }).joinAnnouncements = seen;
      new MutationObserver(() => {
        const text = (region.textContent ?? '').replace(/\s+/g, ' ').trim();
        if (text !== '' && seen.at(-1) !== text) seen.push(text);
      }).observe(region, { subtree: true, childList: true, characterData: true });
    });
    await joinButton.click();
    await p.getByText(`Asked ${udpAddress(n1)} to add this node. Its progress shows below.`).waitFor({ timeout: 20_000 });
    await shot(p, 'peers-join-during');
    await until(p, 'the live region to say Member', async () => /^Member:/.test((await live.innerText()).trim()));

    const announced = await p.evaluate(() => (window as unknown as { joinAnnouncements: string[] }).joinAnnouncements);
    const order = ['Contacting a member:', 'Being added:', 'Catching up:', 'Member:'];
    const stages = announced.map((text) => order.findIndex((prefix) => text.startsWith(prefix)));
    expect(stages, `announced: ${JSON.stringify(announced)}`).not.toContain(-1);
    expect(stages).toEqual([...stages].sort((a, b) => a - b));
    expect(stages.at(-1)).toBe(3);
    expect(announced.at(-1)).toContain('A full member');
    const progress = p.getByRole('group', { name: `Joining through ${udpAddress(n1)}` });
    expect(await progress.locator('li[aria-current="step"]').innerText()).toContain('Member');
    expect((await progress.getByRole('listitem').allInnerTexts()).map((item) => item.replace(/\s+/g, ' ').trim())).toEqual(['✓ Contacting a member', '✓ Being added', '✓ Catching up', '✓ Member']);

    // Its members table now shows the cluster it joined.
    await until(p, 'n1, n2, n3 on the Peers page of n3', async () => (await tableRows(p, 'The members of the cluster')).length === 3);
    const rows = await tableRows(p, 'The members of the cluster');
    expect(rows.map((row) => row.split(' ')[0])).toEqual(['n3', 'n1', 'n2']);
    expect(await p.getByText('Membership', { exact: true }).locator('xpath=following-sibling::dd').innerText()).toBe('member');
    await until(p, 'n1 and n2 reachable from n3', async () => (await tableRows(p, 'The members of the cluster')).filter((row) => row.includes('● reachable')).length === 2);
    await shot(p, 'peers-join');

    // n3 took the cluster's history: n1's tweet is on its timeline.
    await goTo(p, 'Timeline');
    await until(p, "n1's tweet on n3's timeline", async () => p.getByText(TWEET).first().isVisible());
    await shot(p, 'timeline-after-join');
    expect(await memberIds(n1)).toEqual(['n1', 'n2', 'n3']);
  });

  it('the newcomer appears as a member in the Cluster view of n1', async () => {
    const p = n1Page;
    await goTo(p, 'Cluster');
    await until(p, 'n3 a member on n1 Cluster page', async () => {
      const members = await clusterMembers(p);
      return members.size === 3 && ['n1', 'n2', 'n3'].every((id) => members.get(id) === 'member');
    });
    const diagram = p.getByRole('img', { name: 'Cluster members and the messages between them' });
    expect(await diagram.locator('desc').textContent()).toMatch(/^3 members\. n1 \(this node\).*; n2.*; n3/);
    // The three circles are drawn (their labels are the ids).
    for (const id of ['n1', 'n2', 'n3']) expect(await diagram.getByText(id, { exact: true }).count()).toBeGreaterThan(0);
    await shot(p, 'cluster-join');
  });

  it('Remove on a Peers page takes n2 out, after a confirmation; the Cluster view follows', async () => {
    const p = n1Page;
    await goTo(p, 'Peers');
    await until(p, 'three members on n1 Peers page', async () => (await tableRows(p, 'The members of the cluster')).length === 3);
    await p.getByRole('table', { name: 'The members of the cluster' }).getByRole('button', { name: 'Remove n2' }).click();
    const dialog = p.getByRole('alertdialog', { name: 'Remove n2 from the cluster?' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('n2 stops taking part in deciding slots from slot s + 64');
    await shot(p, 'peers-remove-confirm');
    await dialog.getByRole('button', { name: 'Yes, remove n2' }).click();
    await p.getByText(/^n2 leaves the cluster at slot \d+: the change was chosen at slot \d+\.$/).waitFor({ timeout: 20_000 });
    await until(p, 'n2 gone from n1 Peers page', async () => (await tableRows(p, 'The members of the cluster')).map((row) => row.split(' ')[0]).join() === 'n1,n3');
    await shot(p, 'peers-after-remove');

    await goTo(p, 'Cluster');
    await until(p, 'n1 and n3 only on the Cluster page', async () => {
      const members = await clusterMembers(p);
      return [...members.keys()].join() === 'n1,n3' && [...members.values()].every((standing) => standing === 'member');
    });
    expect(await p.getByRole('img', { name: 'Cluster members and the messages between them' }).locator('desc').textContent()).toMatch(/^2 members\./);
    await shot(p, 'cluster-after-remove');
    expect(await memberIds(node('n1'))).toEqual(['n1', 'n3']);
    await waitFor(async () => (await memberIds(node('n3'))).join() === 'n1,n3', 20_000, 'n3 to see n2 removed');
  });
});
