import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { Session } from '../../app/session.svelte';
import { FakeApi, makePeerStatus, makeStatus } from '../../../test/support/renderer/fake-api';
import ScenariosPanel from './ScenariosPanel.svelte';
import { SCENARIOS } from './scenarios';

async function session(api: FakeApi): Promise<Session> {
  const s = new Session(api);
  await s.refreshStatus();
  return s;
}

describe('ScenariosPanel', () => {
  it('offers every scenario and tells its story', async () => {
    render(ScenariosPanel, { session: await session(new FakeApi()) });
    for (const scenario of SCENARIOS) expect(screen.getByRole('radio', { name: scenario.title })).toBeTruthy();
    await fireEvent.click(screen.getByRole('radio', { name: 'A minority that cannot decide' }));
    expect(screen.getByText(/alone it is a minority/)).toBeTruthy();
  });

  it('says why a scenario cannot start, and sets no fault', async () => {
    const api = new FakeApi(); // carol is unreachable
    render(ScenariosPanel, { session: await session(api) });
    await fireEvent.click(screen.getByRole('button', { name: 'Play' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/carol is not/);
    expect(api.memberFaults.size).toBe(0);
  });

  it('plays the steps as the node reports them, and Stop undoes every fault', async () => {
    const api = new FakeApi();
    api.statusValue = makeStatus({ peers: [makePeerStatus({ id: 'bob' }), makePeerStatus({ id: 'carol' })] });
    render(ScenariosPanel, { session: await session(api), pollMs: 1 });
    await fireEvent.click(screen.getByRole('radio', { name: 'A minority that cannot decide' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Play' }));
    await vi.waitFor(() => expect(screen.getByText('Watching…')).toBeTruthy());
    expect(screen.getByText('This node is cut off from the others')).toBeTruthy();
    expect(screen.getByText(/Faults held by: alice/)).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Stop and undo' }));
    await vi.waitFor(() => expect(screen.getByText(/Stopped\. Every fault it set was cleared\./)).toBeTruthy());
    expect(api.memberFaults.size).toBe(0);
  });

  it('says each new attempt of a scenario that chance decides, above its steps', async () => {
    const api = new FakeApi();
    api.statusValue = makeStatus({ peers: [makePeerStatus({ id: 'bob' }), makePeerStatus({ id: 'carol' })] });
    // Every tweet is chosen at once, everywhere; bob, cut off by alice, is unreachable and carol succeeds it; no hole, ever.
    api.override.tweet = async (args, original) => {
      const receipt = await original(args);
      api.statusValue = { ...api.statusValue, commitIndex: receipt.slot, peers: api.statusValue.peers.map((peer) => ({ ...peer, commitIndex: receipt.slot })) };
      return receipt;
    };
    api.override.status = async (_args, original) => {
      const status = await original(undefined);
      const cut = api.memberFaults.get('alice')?.faults.isolate.includes('bob') === true;
      return cut ? { ...status, leader: 'carol', peers: status.peers.map((peer) => (peer.id === 'bob' ? { ...peer, reachable: false } : peer)) } : status;
    };
    render(ScenariosPanel, { session: await session(api), pollMs: 1 });
    await fireEvent.click(screen.getByRole('radio', { name: 'The hole that never stalls' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Play' }));
    await vi.waitFor(() => expect(screen.getByText(/Done\. Every fault it set was cleared\./)).toBeTruthy(), { timeout: 5_000 });
    const attempts = within(screen.getByRole('list', { name: 'Attempts' })).getAllByRole('listitem');
    expect(attempts.map((item) => item.textContent)).toEqual(['No hole this time: healing bob and trying again (2 of 3)', 'No hole this time: healing bob and trying again (3 of 3)']);
    expect(screen.getByText(/^No hole in 3 attempts: /)).toBeTruthy();
    expect(api.memberFaults.size).toBe(0);
  });
});
