import { render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { ClusterTrace, ClusterTraceMember, MergedTraceMessage } from '../../../shared/api';
import { Session } from '../../app/session.svelte';
import { FakeApi } from '../../../test/support/renderer/fake-api';
import ClusterPage from './ClusterPage.svelte';
import { ClusterTraceFeed, describeCoverage, KEPT, POLL_MS } from './cluster-trace.svelte';

function member(id: string, overrides: Partial<ClusterTraceMember> = {}): ClusterTraceMember {
  return { id, offsetMs: 0, uncertaintyMs: 0.4, leaseActive: true, skipped: 0, lostBatches: 0, ...overrides };
}

function merged(seq: number, overrides: Partial<MergedTraceMessage> = {}): MergedTraceMessage {
  return { at: 1_000 + seq, observedAt: 1_000 + seq, seq, direction: 'out', from: 'bob', to: 'carol', observer: 'bob', type: 'accepted', slot: 7, ...overrides };
}

function trace(members: ClusterTraceMember[], messages: MergedTraceMessage[]): ClusterTrace {
  return { members, messages, skipped: 0, lastSeq: messages.at(-1)?.seq ?? 0, keptMs: 180_000, served: { leases: 0, batches: 0, records: 0, bytes: 0, skipped: 0 } };
}

describe('describeCoverage', () => {
  it('says whose messages are shown and how well the clocks agree, in whole milliseconds rounded up', () => {
    expect(describeCoverage([member('alice', { uncertaintyMs: 0 }), member('bob', { uncertaintyMs: 1.2 }), member('carol', { uncertaintyMs: 0.3 })])).toBe('Messages of all 3 members (clocks aligned within ±2 ms).');
    expect(describeCoverage([member('alice', { uncertaintyMs: 0 }), member('bob', { uncertaintyMs: 0.2 })])).toBe('Messages of all 2 members (clocks aligned within ±1 ms).');
    expect(describeCoverage([member('alice'), member('bob', { uncertaintyMs: 3.01 }), member('carol', { leaseActive: false, uncertaintyMs: null })])).toBe(
      'Messages of 2 of 3 members (clocks aligned within ±4 ms); carol is not answering.',
    );
  });
});

describe('ClusterTraceFeed', () => {
  it('asks for the recent trace first, then only what came in since, and shows each message once', async () => {
    const api = new FakeApi();
    const seen: MergedTraceMessage[][] = [];
    const feed = new ClusterTraceFeed(() => api, { onMessages: (messages) => seen.push([...messages]) });
    const members = [member('alice'), member('bob'), member('carol')];
    const out = merged(1);
    const copy = merged(2, { direction: 'in', observer: 'carol' });
    const fromStranger = merged(3, { direction: 'in', from: 'dave', to: 'carol', observer: 'carol' });
    api.clusterTraceValue = trace(members, [out, copy, fromStranger]);
    await feed.poll();
    expect(feed.covers).toBe(true);
    expect(feed.messages).toEqual([out, fromStranger]);
    expect(seen).toEqual([[out, copy, fromStranger]]);
    const later = merged(4);
    api.clusterTraceValue = trace(members, [out, copy, fromStranger, later]);
    await feed.poll();
    expect(api.callsOf('clusterTrace')).toEqual([{ limit: KEPT }, { afterSeq: 3 }]);
    expect(feed.messages).toEqual([out, fromStranger, later]);
    expect(feed.trace([])).toBe(feed.messages);
  });

  it('shows this node’s own messages while no other member’s trace comes in, or the node cannot say', async () => {
    const api = new FakeApi();
    const feed = new ClusterTraceFeed(() => api);
    const local = [{ at: 1, direction: 'out', from: 'alice', to: 'bob', type: 'ping' } as const];
    await feed.poll();
    expect(feed.covers).toBe(false);
    expect(feed.coverage).toBeNull();
    expect(feed.trace(local)).toBe(local);
    api.clusterTraceValue = trace([member('alice'), member('bob')], []);
    await feed.poll();
    expect(feed.covers).toBe(true);
    api.override.clusterTrace = () => Promise.reject(new Error('gone'));
    await feed.poll();
    expect(feed.covers).toBe(false);
  });
});

describe('the Cluster view with the whole cluster’s trace', () => {
  it('says whose messages it shows, and sets messages between two other members flying', async () => {
    const api = new FakeApi();
    const members = [member('alice', { uncertaintyMs: 0 }), member('bob', { uncertaintyMs: 1.3 }), member('carol', { uncertaintyMs: 0.6 })];
    api.clusterTraceValue = trace(members, [merged(1)]);
    const session = new Session(api);
    await session.refreshStatus();
    const { container, unmount } = render(ClusterPage, { session });

    expect(await screen.findByText('Messages of all 3 members (clocks aligned within ±2 ms).')).toBeTruthy();
    expect(screen.queryByText(/Only messages to and from this node/)).toBeNull();
    expect(container.querySelectorAll('.dot')).toHaveLength(0); // what was there before is not news

    api.clusterTraceValue = trace(members, [merged(1), merged(2, { type: 'accept', from: 'carol', to: 'bob', observer: 'carol' })]);
    await vi.waitFor(() => expect([...container.querySelectorAll<SVGElement>('.dot')].map((dot) => dot.dataset['kind'])).toEqual(['accept']), { timeout: 3 * POLL_MS });

    // Polling stops with the view: the node stops watching a few seconds later.
    const calls = api.callsOf('clusterTrace').length;
    unmount();
    await new Promise((resolve) => setTimeout(resolve, POLL_MS + 200));
    expect(api.callsOf('clusterTrace')).toHaveLength(calls);
  });

  it('says only this node’s messages are known while no other member answers', async () => {
    const api = new FakeApi();
    const session = new Session(api);
    await session.refreshStatus();
    render(ClusterPage, { session });
    await vi.waitFor(() => expect(api.callsOf('clusterTrace').length).toBeGreaterThan(0));
    expect(screen.getByText(/Only messages to and from this node are known here/)).toBeTruthy();
  });
});
