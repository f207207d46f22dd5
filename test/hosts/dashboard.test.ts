/**
 * "Two laptops in five minutes" through the dashboards, on the rig: h1 and h2 form a cluster that
 * announces itself on the LAN; h3, a one-node cluster as the desktop app starts, lists that cluster on
 * its Peers page; the person copies the invite code from h1's Peers page, pastes it into h3's Join
 * form and watches h3 become a member. Headless Chromium drives the real dashboards over the rig's
 * management network; the screenshots (test-results/e2e/) are the README's.
 */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, SCREENSHOT_DIR, SKIP_BROWSER_SUITES, type DashboardBrowser } from '../e2e/targets';
import { waitFor } from '../process/harness';
import { HTTP_PORT, UDP_PORT, type HostNode } from './host-node';
import { describeRig, startRig, step } from './scenario';

let browser: DashboardBrowser | undefined;

async function peersPage(node: HostNode): Promise<Page> {
  if (browser === undefined) throw new Error('no browser');
  const page = await browser.open(`http://${node.host.mgmtAddress}:${HTTP_PORT}/?token=${node.token}`);
  await page.getByRole('link', { name: 'Peers' }).click();
  await page.getByRole('heading', { name: 'Join a cluster' }).waitFor();
  return page;
}

/** A screenshot of one card (the section holding `heading`), for the README. */
async function cardShot(page: Page, heading: string, name: string): Promise<void> {
  await page.locator('section.card', { has: page.getByRole('heading', { name: heading, exact: true }) }).screenshot({ path: `${SCREENSHOT_DIR}/${name}.png` });
}

(SKIP_BROWSER_SUITES ? describe.skip : describeRig)('a cluster built from the dashboards', () => {
  // Inside the rig's describe: where the rig is skipped, no browser is needed either.
  beforeAll(async () => {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('h3 lists the cluster it hears, joins it with the invite code copied from h1, and becomes a member', async () => {
    const rig = await startRig('dashboards', { hosts: [{ name: 'h1' }, { name: 'h2' }, { name: 'h3' }], build: 'join', discover: true });
    const h1 = rig.node('h1');
    await h1.call('tweet', { text: 'Hello from h1, before anyone joined' });
    const h2 = await rig.join('h2');
    await rig.waitForMembers([h1, h2]);
    const h3 = await rig.startOwn('h3');

    // h1: the port to open, and the invite code behind its reveal.
    const p1 = await peersPage(h1);
    await p1.getByText(`Other machines reach this node on UDP port ${UDP_PORT}`).waitFor();
    await p1.getByText(`How to open UDP port ${UDP_PORT}`).click();
    await cardShot(p1, 'UDP port', 'peers-port');
    await p1.getByRole('button', { name: 'Show invite code' }).click();
    const code = await p1.getByRole('textbox', { name: 'Invite code of this cluster' }).inputValue();
    expect(code).toMatch(/^synod1\./);
    await cardShot(p1, 'Invite a machine', 'peers-invite');
    step('invite code shown');

    // h3 hears h1 and h2's cluster on the network.
    const p3 = await peersPage(h3);
    const nearby = p3.getByRole('group', { name: 'Clusters on this network' });
    await nearby.getByRole('button', { name: 'Pick the cluster of h1, h2' }).waitFor({ timeout: 30_000 });
    const listed = (await nearby.getByRole('listitem').innerText()).replace(/\s+/g, ' ');
    expect(listed).toContain(`h1, h2 2 members · ${h1.host.address}:${UDP_PORT}, ${h2.host.address}:${UDP_PORT} · heard`);
    await cardShot(p3, 'Join a cluster', 'peers-discovered');
    step('cluster listed');

    // The person pastes the code and joins; h3's own one-node cluster holds nothing to discard.
    await p3.getByLabel('Invite code', { exact: true }).fill(code);
    await p3.getByRole('button', { name: 'Join cluster' }).click();
    await p3.getByText(/^Asked the members at .* to add this node: whichever answers adds it\./).waitFor({ timeout: 20_000 });
    const live = p3.locator('p.join-message[role="status"]');
    await waitFor(async () => /^Member:/.test((await live.innerText()).trim()), 60_000, 'h3 to become a member');
    await rig.waitForMembers([h1, h2, h3]);
    await waitFor(async () => (await p3.getByRole('table', { name: 'The members of the cluster' }).getByText('● reachable').count()) === 2, 30_000, 'h1 and h2 reachable from h3');
    // Now a member, h3 no longer lists its own cluster.
    await nearby.getByText(/^No other Synod cluster heard on this network yet/).waitFor({ timeout: 30_000 });
    await cardShot(p3, 'Join a cluster', 'peers-join-code');
    await p3.screenshot({ path: `${SCREENSHOT_DIR}/peers-after-invite.png`, fullPage: true });
    expect((await h3.call('timeline')).map((entry) => entry.text)).toContain('Hello from h1, before anyone joined');
  });
});
