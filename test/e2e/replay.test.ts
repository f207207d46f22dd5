/**
 * End to end, issue 13's bar "the slider replays a recorded election step by step": three real
 * synod-node processes, n1's dashboard in headless Chromium on the Cluster page (the dashboard records
 * from the moment it opens, every member's messages while this page is shown: there is no start or
 * stop button), a follower other than n1 asked to campaign (campaignNow: no pre-vote, a higher ballot),
 * a tweet the new leader proposes, then Pause (the replay stops following the recording), Home, and
 * "Next message" one message at a time, reading what the replay shows at every step. The screenshot
 * of one step goes to the test's temporary directory, removed afterwards.
 *
 * Which messages the replay lists is asserted on the links to and from n1 only: n1 observed those
 * itself, on one clock, so their order is exact; the other members' messages are placed on n1's clock
 * by an estimate good to about a millisecond, and an election on loopback takes less.
 *
 * The replay shows a message's sender, receiver, type and slot, not its ballot: the new ballot is
 * checked through the API (the new leader's status), the replay through who sends what. The diagram
 * shows the replayed moment (who leads, who campaigns), read from the line above it.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBallot } from '../../shared/ballot-text';
import { compareBallots } from '../../src-main/core/ballot';
import { ProcessCluster, waitFor, type ProcessNode } from '../process/harness';
import { goTo, openDashboard, startClusterAndBrowser, waitOrShoot } from './pages';
import { SCREENSHOT_DIR, SKIP_BROWSER_SUITES, type DashboardBrowser } from './targets';

const TWEET = 'Proposed by the new leader, during the recording';
/** More messages than this in the walk means the replay never reached its end. */
const MAX_STEPS = 400;

let cluster: ProcessCluster | undefined;
let browser: DashboardBrowser | undefined;
let tempDir: string | undefined;

/** What the replay shows after a step: its readout, the slider, and the message it just passed (the newest listed). */
interface Step {
  readonly passed: number;
  readonly total: number;
  readonly slider: number;
  readonly message: { readonly at: number; readonly from: string; readonly to: string; readonly type: string; readonly slot: number | null; readonly ballot: string | null } | null;
}

function replayRegion(p: Page): Locator {
  return p.getByRole('region', { name: 'Replay' });
}

function slider(p: Page): Locator {
  return replayRegion(p).getByLabel('Position in the recording');
}

function playback(p: Page, name: string): Locator {
  return replayRegion(p).getByRole('group', { name: 'Playback' }).getByRole('button', { name, exact: true });
}

/** Reads the replay's readout ("message k of N"), the slider and the newest message of "Messages up to …", at once. */
/** What the Cluster view says of the replayed moment (the line above the diagram). */
function replayedMoment(p: Page): Promise<string> {
  return p.locator('p.replayed').innerText();
}

async function readStep(p: Page): Promise<Step> {
  const readout = (await replayRegion(p).locator('p.readout').innerText()).replace(/\s+/g, ' ');
  const counts = /message ([\d,]+) of ([\d,]+)/.exec(readout);
  if (counts === null) throw new Error(`no "message k of N" in the replay readout: ${readout}`);
  const recent = p.getByRole('region', { name: /^Messages up to / });
  const items = recent.getByRole('listitem');
  let message: Step['message'] = null;
  if ((await items.count()) > 0) {
    // The list is newest first: its first item is the message the position just passed.
    message = await items.first().evaluate((item) => {
      const route = (item.querySelector('span:not(.swatch):not(.muted):not(.dropped)')?.textContent ?? '').split('→').map((part) => part.trim());
      const slot = /slot (\d+)/.exec(item.textContent ?? '');
      const ballot = /ballot (\S+)/.exec(item.textContent ?? '');
      return {
        at: Date.parse(item.querySelector('time')?.getAttribute('datetime') ?? ''),
        from: route[0] ?? '',
        to: route[1] ?? '',
        type: (item.querySelector('strong')?.textContent ?? '').trim(),
        slot: slot === null ? null : Number(slot[1]),
        ballot: ballot?.[1] ?? null,
      };
    });
  }
  const number = (text: string): number => Number(text.replace(/,/g, ''));
  return { passed: number(counts[1] ?? ''), total: number(counts[2] ?? ''), slider: Number(await slider(p).inputValue()), message };
}

/** Waits for `check` on the page; on failure keeps a screenshot (pages.ts). */
function until(p: Page, what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  return waitOrShoot(p, 'replay', what, check, timeoutMs);
}

/** The live readout's count ("N messages recorded over …") once it held still for `quietMs` (the other members' messages come in a poll a second). */
async function quietRecording(p: Page, quietMs = 3_000, timeoutMs = 30_000): Promise<number> {
  const readout = replayRegion(p).locator('p.readout');
  let last = -1;
  let since = Date.now();
  await until(
    p,
    'the recording to hold still',
    async () => {
      const count = Number(/^([\d,]+) messages recorded/.exec((await readout.innerText()).trim())?.[1]?.replace(/,/g, '') ?? -1);
      if (count !== last) {
        last = count;
        since = Date.now();
      }
      return count > 0 && Date.now() - since >= quietMs;
    },
    timeoutMs,
  );
  return last;
}

beforeAll(async () => {
  tempDir = mkdtempSync(join(tmpdir(), 'synod-e2e-replay-'));
  ({ cluster, browser } = await startClusterAndBrowser());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await cluster?.dispose();
  if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
});

describe.skipIf(SKIP_BROWSER_SUITES)('the Cluster page replays a recorded election, against a real 3-node cluster', () => {
  it('steps from the start through the new ballot: prepare, promise, then accept, accepted and commit of the new leader, which the end shows', async () => {
    if (cluster === undefined || browser === undefined || tempDir === undefined) throw new Error('no cluster, browser or temp dir');
    const nodes = cluster;
    const n1 = nodes.node('n1');
    await waitFor(async () => (await Promise.all(nodes.nodes.map((node) => node.status()))).every((status) => status.leader !== null && status.peers.every((peer) => peer.reachable)), 20_000, 'every peer reachable');
    const oldLeader = await nodes.waitForLeader();
    const oldBallot = (await oldLeader.status()).ballot;
    // A follower other than n1, so that n1 receives its prepare and answers it: the link whose order is exact.
    const candidate = nodes.nodes.find((node) => node !== oldLeader && node.spec.id !== 'n1') as ProcessNode;
    const c = candidate.spec.id;

    const p = await openDashboard(browser, n1);
    p.setDefaultTimeout(15_000);
    await goTo(p, 'Cluster');
    // Every member's messages are coming in (not only n1's own).
    await p.getByText('Messages of all 3 members', { exact: false }).waitFor({ timeout: 20_000 });
    expect(await replayRegion(p).getByRole('status').innerText()).toBe('Live');

    // The election, while the dashboard records.
    const campaignAt = Date.now();
    expect(await n1.call('campaignNow', { member: c })).toEqual({ member: c });
    expect((await nodes.waitForLeader(15_000, [oldLeader.spec.id])).spec.id).toBe(c);
    const newBallot = (await candidate.status()).ballot;
    expect(newBallot.node).toBe(c);
    // Higher: a later round, or the same round and a greater member id (ballot.ts).
    expect(compareBallots(newBallot, oldBallot), `${JSON.stringify(newBallot)} above ${JSON.stringify(oldBallot)}`).toBeGreaterThan(0);
    await waitFor(async () => (await Promise.all(nodes.nodes.map((node) => node.status()))).every((status) => status.leader === c), 10_000, `every member names ${c} leader`);
    // Something for the new leader to propose (an idle leader sends no accept), through n1.
    await n1.call('tweet', { text: TWEET });
    await nodes.waitForConvergence();
    await quietRecording(p);

    // "Stop": Pause freezes the replay at the newest message; Home goes back before the first one.
    await playback(p, 'Pause').click();
    expect(await replayRegion(p).getByRole('status').innerText()).toBe('Replay paused');
    await slider(p).press('Home');
    const first = await readStep(p);
    expect(first.passed).toBe(0);
    // Before the first message the diagram shows the recording's start, not the live leader.
    expect(await replayedMoment(p)).not.toContain(`${c} leads at ballot ${formatBallot(newBallot)}`);
    expect(first.message).toBeNull();
    expect(await p.getByRole('region', { name: /^Messages up to / }).innerText()).toContain('No message before this point of the recording.');
    expect(await playback(p, 'Previous message').isDisabled()).toBe(true);

    // Step by step to the end, reading what is shown after each step.
    const steps: Step[] = [first];
    let screenshot: string | null = null;
    while (!(await playback(p, 'Next message').isDisabled())) {
      if (steps.length > MAX_STEPS) throw new Error(`more than ${MAX_STEPS} steps: the replay never reached its end`);
      const before = steps.at(-1) as Step;
      await playback(p, 'Next message').click();
      await until(p, `step ${before.passed + 1}`, async () => (await readStep(p)).passed === before.passed + 1, 5_000);
      const step = await readStep(p);
      steps.push(step);
      // The slider stands on the message just passed, and never goes back.
      expect(step.message, `step ${step.passed}`).not.toBeNull();
      // (A member's message is placed on n1's clock by a fractional offset; the list shows whole milliseconds.)
      expect(Math.abs(step.slider - (step.message?.at ?? NaN)), `step ${step.passed}`).toBeLessThan(1);
      expect(step.slider).toBeGreaterThanOrEqual(before.slider);
      // The screenshot: the new leader's first prepare, its dot on the diagram. The diagram shows that moment, not
      // the live cluster: the candidate campaigns, nobody has crowned it yet, unless the merged recording placed one
      // of its accepts or commits first (members' clocks are aligned only within their measured uncertainty).
      if (screenshot === null && step.message?.type === 'prepare' && step.message.from === c && step.message.at >= campaignAt) {
        const crowned = steps.some((s) => s.message !== null && s.message.from === c && ['accept', 'commit'].includes(s.message.type) && s.message.ballot === formatBallot(newBallot));
        if (!crowned) expect(await replayedMoment(p)).toContain(`nobody leads while ${c} campaigns at ballot ${formatBallot(newBallot)}`);
        screenshot = join(SCREENSHOT_DIR, 'cluster-replay.png');
        await p.screenshot({ path: screenshot, fullPage: true });
      }
    }
    const last = steps.at(-1) as Step;
    expect(last.passed).toBe(last.total);
    expect(await replayedMoment(p)).toContain(`${c} leads at ballot ${formatBallot(newBallot)}`);
    expect(steps.length - 1).toBe(last.total);

    // The election in order, on n1's own link to the new leader.
    const messages = steps.slice(1).map((step) => step.message as NonNullable<Step['message']>);
    const find = (type: string, from: string, to: string, after = -1): number => messages.findIndex((m, i) => i > after && m.type === type && m.from === from && m.to === to && m.at >= campaignAt);
    const described = (): string => messages.map((m, i) => `${i + 1}: ${m.from}→${m.to} ${m.type}${m.slot === null ? '' : ` ${m.slot}`}`).join('\n');
    // On n1's link to the candidate, where the order is exact: its prepare, then n1's promise; its first commit after the
    // prepare (a majority without n1 may elect it before n1's promise leaves: n1 answers once its journal holds the promise);
    // the tweet's accept after the prepare, then n1's accepted, and the slot's commit after the accept.
    const prepare = find('prepare', c, 'n1');
    const promise = find('promise', 'n1', c);
    const commit = find('commit', c, 'n1');
    const accept = find('accept', c, 'n1');
    const accepted = accept < 0 ? -1 : find('accepted', 'n1', c, accept);
    expect(prepare, described()).toBeGreaterThanOrEqual(0);
    // Each vote says which election it belongs to: the new leader's ballot, on its prepare and on n1's promise.
    expect(messages[prepare]?.ballot, described()).toBe(formatBallot(newBallot));
    expect(promise, described()).toBeGreaterThan(prepare);
    expect(messages[promise]?.ballot, described()).toBe(formatBallot(newBallot));
    expect(commit, described()).toBeGreaterThan(prepare);
    expect(accept, described()).toBeGreaterThan(prepare);
    expect(accepted, described()).toBeGreaterThan(accept);
    const acceptSlot = messages[accept]?.slot ?? Infinity;
    const committed = messages.findIndex((m, i) => i > accept && m.type === 'commit' && m.from === c && m.to === 'n1' && (m.slot ?? -1) >= acceptSlot);
    expect(committed, described()).toBeGreaterThan(accept);
    // Across the members: promises reached the candidate before it proposed anything (the tweet went in only once every
    // member named it leader, tens of milliseconds after its election: far more than the clocks' misalignment).
    const firstPromise = messages.findIndex((m) => m.type === 'promise' && m.to === c && m.at >= campaignAt);
    const firstAccept = messages.findIndex((m) => m.type === 'accept' && m.from === c);
    expect(firstPromise, described()).toBeGreaterThanOrEqual(0);
    expect(firstAccept, described()).toBeGreaterThan(firstPromise);
    // On n1's link: before the new ballot's prepare, the candidate neither proposed nor committed to n1, and n1 promised it nothing;
    // after n1's promise, the old leader neither campaigns, proposes nor commits there (the only link whose order is exact).
    const link = (m: NonNullable<Step['message']>, from: string, to: string): boolean => m.from === from && m.to === to;
    expect(messages.slice(0, prepare).filter((m) => (link(m, c, 'n1') && ['accept', 'commit'].includes(m.type)) || (link(m, 'n1', c) && m.type === 'promise')), described()).toEqual([]);
    const old = oldLeader.spec.id;
    expect(messages.slice(promise).filter((m) => m.from === old && (m.from === 'n1' || m.to === 'n1') && ['prepare', 'accept', 'commit'].includes(m.type)), described()).toEqual([]);

    // The screenshot taken at the prepare's step.
    expect(screenshot).not.toBeNull();
    expect(statSync(screenshot as string).size).toBeGreaterThan(10_000);
    expect(readFileSync(screenshot as string).subarray(1, 4).toString()).toBe('PNG');

    // One step back shows the message before; one forward again the last.
    await playback(p, 'Previous message').click();
    await until(p, 'one step back', async () => (await readStep(p)).passed === last.passed - 1, 5_000);
    expect((await readStep(p)).message).toEqual(steps.at(-2)?.message);
    await playback(p, 'Next message').click();
    await until(p, 'forward to the end again', async () => (await readStep(p)).passed === last.passed, 5_000);

    // The slider moved by hand to the prepare's time shows the same as the steps did there (every message of that millisecond passed).
    const prepareAt = (steps[prepare + 1] as Step).slider;
    await slider(p).fill(String(prepareAt));
    const sought = steps.slice(1).filter((step) => step.slider <= prepareAt).length;
    await until(p, 'the slider at the prepare', async () => (await readStep(p)).passed === sought, 5_000);
    const atPrepare = await readStep(p);
    expect(atPrepare.slider).toBe(prepareAt);
    expect(atPrepare.message).toEqual(messages[sought - 1]);
    expect(messages.slice(0, sought).some((m) => m.type === 'prepare' && m.from === c)).toBe(true);
    expect(messages.slice(0, sought).some((m) => m.type === 'accept' && m.from === c)).toBe(false);

    // The final position: the newest message, the new leader's messages, the new leader marked (the diagram's mark is live).
    await slider(p).press('End');
    await until(p, 'the end of the recording', async () => (await readStep(p)).passed === last.passed, 5_000);
    expect(await slider(p).getAttribute('aria-valuetext')).toContain('the newest message');
    const listed = (await p.getByRole('region', { name: /^Messages up to / }).getByRole('listitem').allInnerTexts()).map((text) => text.replace(/\s+/g, ' '));
    expect(listed.some((text) => text.includes(`${c} → n1 commit`)), listed.join('\n')).toBe(true);
    // The newest first: to or from the new leader (its commit, or a member's late accepted or ack).
    expect(listed[0], listed.join('\n')).toMatch(new RegExp(`(${c} → \\w+|\\w+ → ${c}) (commit|commitAck|accepted)`));
    const description = await p.getByRole('img', { name: 'Cluster members and the messages between them' }).locator('desc').textContent();
    expect(description).toContain(`${c}, leader`);
    expect(description).not.toContain(`${oldLeader.spec.id}, leader`);
    expect(description).not.toContain(`${oldLeader.spec.id} (this node), leader`);
  }, 150_000);
});
