import { fireEvent, render, screen } from '@testing-library/svelte';
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
});
