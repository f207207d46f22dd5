import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DiscoveredCluster } from '../../../shared/api';
import { FakeApi } from '../../../test/support/renderer/fake-api';
import { renderOnSession } from '../../../test/support/renderer/session';
import { clusterLabel, POLL_MS } from './discovered.svelte';
import DiscoveredClusters from './DiscoveredClusters.svelte';

let fake: FakeApi;
let picks: [string[], string][];

const ANNS: DiscoveredCluster = {
  tag: '0123456789abcdef',
  members: 3,
  heard: [
    { id: 'ann', name: 'Ann', address: '192.168.1.10:7400' },
    { id: 'bob', name: 'Bob', address: '192.168.1.11:7400' },
  ],
  lastHeardMs: 2_000,
};

function setup() {
  picks = [];
  return renderOnSession(DiscoveredClusters, fake, { onpick: (addresses: string[], label: string) => picks.push([addresses, label]) });
}

beforeEach(() => {
  fake = new FakeApi();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('clusters heard on the network', () => {
  it('lists them by their members names and count; picking one hands over its addresses', async () => {
    fake.discoveryValue = { enabled: true, note: null, clusters: [ANNS] };
    setup();
    const group = await screen.findByRole('group', { name: 'Clusters on this network' });
    const item = await within(group).findByRole('listitem');
    expect(item.textContent?.replace(/\s+/g, ' ')).toMatch(/Ann, Bob and 1 more 3 members · 192\.168\.1\.10:7400, 192\.168\.1\.11:7400 · heard 2 s ago/);
    await fireEvent.click(within(item).getByRole('button', { name: 'Pick the cluster of Ann, Bob and 1 more' }));
    expect(picks).toEqual([[['192.168.1.10:7400', '192.168.1.11:7400'], 'Ann, Bob and 1 more']]);
  });

  it('keeps listening, and says when nothing is heard or discovery is off', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    setup();
    expect(await screen.findByText(/No other Synod cluster heard on this network yet/)).toBeTruthy();
    fake.discoveryValue = { enabled: true, note: null, clusters: [ANNS] };
    vi.advanceTimersByTime(POLL_MS);
    await waitFor(() => expect(screen.getByRole('listitem')).toBeTruthy());
    fake.discoveryValue = { enabled: false, note: 'This node does not look for clusters on the local network: start synod-node with --discover.', clusters: [] };
    vi.advanceTimersByTime(POLL_MS);
    expect(await screen.findByText(/start synod-node with --discover/)).toBeTruthy();
  });

  it('names a cluster by what it announces', () => {
    expect(clusterLabel({ ...ANNS, members: 2 })).toBe('Ann, Bob');
  });
});
