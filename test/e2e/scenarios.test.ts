/**
 * End to end: the Scenarios page of a real member's dashboard (n3's), in headless Chromium, plays every
 * scenario to its end on three real synod-node processes: "Duelling proposers" with either member
 * winning, lossy rounds, the hole that never stalls, a minority that cannot decide, crash and recovery.
 * For each: the steps are reached in order (every change of the steps' badges is recorded in the page,
 * and none shows a step done after one not done), every step is seen at the end, and no member holds a
 * fault afterwards (each one's status, through its own API). The duels' winner leads at the end; the
 * hole's no-op, when the scenario found one (it tries three times and says so when it found none), is a
 * chosen slot without commands on every member. The A-wins screenshot is docs/screenshots/scenarios.png; the
 * crashed member's dashboard after its recovery is docs/screenshots/scenarios-crash-recovered.png.
 */
import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessCluster, waitFor } from '../process/harness';
import { goTo, openDashboard, shot, startClusterAndBrowser } from './pages';
import { SCREENSHOT_DIR, SKIP_BROWSER_SUITES, type DashboardBrowser } from './targets';

const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/screenshots/scenarios.png', import.meta.url));
const DOCS_CRASH_SCREENSHOT = fileURLToPath(new URL('../../docs/screenshots/scenarios-crash-recovered.png', import.meta.url));

let cluster: ProcessCluster;
let browser: DashboardBrowser;

beforeAll(async () => {
  ({ cluster, browser } = await startClusterAndBrowser());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await cluster?.dispose();
});

/** A step as the page shows it at the end of a run. */
interface StepShown {
  readonly title: string;
  /** "Seen", "Not this time", "Failed", ... (ScenariosPanel's STATE_TEXT). */
  readonly badge: string;
  readonly note: string | null;
}

interface Played {
  readonly page: Page;
  readonly steps: readonly StepShown[];
  /** The attempts said above the steps ("No hole this time… trying again (2 of 3)"), in order. */
  readonly retries: readonly string[];
  /** Every list of the steps' badges the page showed while it played, in order. */
  readonly badges: readonly (readonly string[])[];
}

const DONE_BADGES = ['Seen', 'Not this time'];
const ACTIVE_BADGES = ['Doing it…', 'Watching…'];

/** The steps in order: those done first, then at most one under way, then those to come. */
function inOrder(badges: readonly string[]): boolean {
  let i = 0;
  while (i < badges.length && DONE_BADGES.includes(badges[i] as string)) i++;
  if (i < badges.length && ACTIVE_BADGES.includes(badges[i] as string)) i++;
  return badges.slice(i).every((badge) => badge === 'Next');
}

/**
 * Opens n3's dashboard on the Scenarios page, plays `title` there and waits for its end ("Done"),
 * recording every change of the steps' badges as it happens (a MutationObserver in the page).
 */
async function play(title: string, timeoutMs: number): Promise<Played> {
  await waitFor(async () => (await Promise.all(cluster.nodes.map((node) => node.status()))).every((status) => status.leader !== null && status.peers.every((peer) => peer.reachable)), 30_000, 'every peer reachable, and a leader');
  const p = await openDashboard(browser, cluster.node('n3'));
  await goTo(p, 'Scenarios');
  await p.getByRole('radio', { name: title }).check();
  await p.evaluate(() => {
    const seen: string[][] = [];
    (window as unknown as { stepBadges: string[][] }).stepBadges = seen;
    const read = (): void => {
      const badges = [...document.querySelectorAll('ol[aria-label="Steps"] > li .badge')].map((badge) => (badge.textContent ?? '').trim());
      if (badges.length > 0 && badges.join('|') !== seen.at(-1)?.join('|')) seen.push(badges);
    };
    new MutationObserver(read).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await p.getByRole('button', { name: 'Play' }).click();
  try {
    await p.getByText('Done. Every fault it set was cleared.').waitFor({ timeout: timeoutMs });
  } catch (error) {
    await shot(p, `failure-scenarios-${title.replace(/\W+/g, '-')}`);
    throw error;
  }
  const items = p.getByRole('list', { name: 'Steps' }).getByRole('listitem');
  const steps: StepShown[] = [];
  for (const item of await items.all()) {
    steps.push({
      title: (await item.locator('strong').innerText()).trim(),
      badge: (await item.locator('.badge').innerText()).trim(),
      note: (await item.locator('p.note').count()) === 0 ? null : (await item.locator('p.note').innerText()).trim(),
    });
  }
  const attempts = p.getByRole('list', { name: 'Attempts' });
  const retries = (await attempts.count()) === 0 ? [] : (await attempts.getByRole('listitem').allInnerTexts()).map((text) => text.trim());
  const badges = await p.evaluate(() => (window as unknown as { stepBadges: string[][] }).stepBadges);
  return { page: p, steps, retries, badges };
}

/** Played in order, every step seen (but `optional` ones, which may be missed), and no fault left on any member. */
async function expectPlayedToItsEnd(played: Played, stepCount: number, optional: readonly number[] = []): Promise<void> {
  expect(played.steps).toHaveLength(stepCount);
  expect(played.badges.length).toBeGreaterThan(0);
  expect(played.badges.filter((badges) => !inOrder(badges))).toEqual([]);
  played.steps.forEach((step, i) => expect(optional.includes(i) ? DONE_BADGES : ['Seen'], `${step.title}: ${step.note ?? ''}`).toContain(step.badge));
  // Every step was shown under way, then seen (the last list of badges: all done).
  for (let i = 0; i < stepCount; i++) expect(played.badges.some((badges) => ACTIVE_BADGES.includes(badges[i] as string))).toBe(true);
  expect(played.badges.at(-1)?.every((badge) => DONE_BADGES.includes(badge))).toBe(true);
  for (const node of cluster.nodes) expect((await node.status()).remoteFaults, node.spec.id).toEqual([]);
}

describe.skipIf(SKIP_BROWSER_SUITES)('the Scenarios page against a real 3-node cluster', () => {
  it('plays "Duelling proposers: A wins" from n3\'s dashboard, step by step: n1 leads, and no fault is left behind', async () => {
    const played = await play('Duelling proposers: A wins', 45_000);
    await expectPlayedToItsEnd(played, 3);
    expect(played.steps[1]?.note).toMatch(/^n1 wins with ballot \S+, above n2's /);
    await shot(played.page, 'scenarios');
    copyFileSync(`${SCREENSHOT_DIR}/scenarios.png`, DOCS_SCREENSHOT);
    expect((await cluster.waitForLeader()).spec.id).toBe('n1');
    await played.page.context().close();
  }, 90_000);

  it('plays "Duelling proposers: B wins": n2 leads, and no fault is left behind', async () => {
    const played = await play('Duelling proposers: B wins', 45_000);
    await expectPlayedToItsEnd(played, 3);
    expect(played.steps.map((step) => step.title)).toEqual(['n1 campaigns first', 'n2 campaigns 0.3 s later, with a higher ballot', "n1 adopts n2's value"]);
    expect(played.steps[1]?.note).toMatch(/^n2 wins with ballot \S+, above n1's /);
    expect((await cluster.waitForLeader()).spec.id).toBe('n2');
    await played.page.context().close();
  }, 90_000);

  it('plays "Lossy rounds": every tweet chosen while members drop messages, then healed', async () => {
    const played = await play('Lossy rounds', 60_000);
    await expectPlayedToItsEnd(played, 3);
    expect(played.steps[1]?.note).toMatch(/^All 5 chosen \(slots \d+–\d+\)/);
    await played.page.context().close();
  }, 90_000);

  it('plays "The hole that never stalls": the successor\'s no-op is a chosen empty slot on every member (or the scenario says it found no hole)', async () => {
    const played = await play('The hole that never stalls', 75_000);
    await expectPlayedToItsEnd(played, 5, [3]);
    await shot(played.page, 'scenarios-hole');
    const noop = played.steps[3];
    console.log(`hole scenario: ${played.retries.length + 1} attempt(s); ${noop?.badge ?? '?'}: ${noop?.note ?? ''}`);
    if (noop?.badge === 'Seen') {
      const slot = Number(/^Slot (\d+) is a no-op/.exec(noop.note ?? '')?.[1]);
      expect(slot).toBeGreaterThan(0);
      await cluster.waitForConvergence();
      for (const node of cluster.nodes) {
        const page = await node.call('log', { from: slot, limit: 1 });
        expect(page.entries[0], node.spec.id).toMatchObject({ slot, status: 'chosen', commands: [] });
      }
    } else {
      // Three attempts, each said, and the truth at the end.
      expect(played.retries).toEqual(['No hole this time: healing n1 and trying again (2 of 3)', 'No hole this time: healing n1 and trying again (3 of 3)']);
      expect(noop?.note).toMatch(/^No hole in 3 attempts: /);
    }
    await played.page.context().close();
  }, 120_000);

  it('plays "A minority that cannot decide": n3 alone keeps its tweet pending until healed', async () => {
    const played = await play('A minority that cannot decide', 60_000);
    await expectPlayedToItsEnd(played, 3);
    expect(played.steps[1]?.note).toMatch(/^No majority answered: the tweet is pending/);
    await cluster.waitForConvergence();
    await played.page.context().close();
  }, 90_000);

  it('plays "Crash and recovery": n2 crashes for real, the others go on, n2 starts again from its disk (its own dashboard says how) and catches up', async () => {
    const n2 = cluster.node('n2');
    const before = (await n2.status()).recovery.at;
    // n2's own dashboard, open through the crash: it says the node is down, then shows the recovery banner.
    const n2Page = await openDashboard(browser, n2);
    await n2Page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { bannersSeen: string[] }).bannersSeen = seen;
      new MutationObserver(() => {
        const text = document.body.innerText;
        if (text.includes('crashed on a member') && !seen.includes('down')) seen.push('down');
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const played = await play('Crash and recovery', 75_000);
    await expectPlayedToItsEnd(played, 3);
    expect(played.steps[2]?.note).toMatch(/^n2 recovered from its disk and caught up to slot \d+;/);
    const recovery = (await n2.status()).recovery;
    expect(recovery.at).toBeGreaterThan(before);
    expect(recovery.learnedFromPeers).not.toBeNull();
    await n2Page.getByText('Recovered from disk in').waitFor({ timeout: 10_000 });
    expect(await n2Page.evaluate(() => (window as unknown as { bannersSeen: string[] }).bannersSeen)).toEqual(['down']);
    await shot(n2Page, 'scenarios-crash-recovered');
    copyFileSync(`${SCREENSHOT_DIR}/scenarios-crash-recovered.png`, DOCS_CRASH_SCREENSHOT);
    await n2Page.context().close();
    await played.page.context().close();
  }, 120_000);
});
