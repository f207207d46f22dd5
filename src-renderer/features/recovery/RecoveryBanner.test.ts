import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { makeRecovery } from '../../../test/support/renderer/fake-api';
import RecoveryBanner from './RecoveryBanner.svelte';

afterEach(() => sessionStorage.clear());

const RESTARTED = makeRecovery({ at: 1_000, checkpointSlot: 40, checkpointBytes: 2_000_000, journalRecords: 3, replayedSlots: [41, 43] });

describe('RecoveryBanner', () => {
  it('opens the dashboard of a restarted node with what it recovered, until dismissed', async () => {
    const first = render(RecoveryBanner, { recovery: RESTARTED });
    expect(screen.getByRole('status').textContent).toMatch(/Recovered from disk in 12 ms: checkpoint at slot 40 \(2\.0 MB\) and 3 journal records \(slots 41–43\)/);
    await fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('status')).toBeNull();
    first.unmount();
    // Dismissed for this tab: a reload does not bring it back, a later restart does.
    const again = render(RecoveryBanner, { recovery: RESTARTED });
    expect(screen.queryByRole('status')).toBeNull();
    again.unmount();
    render(RecoveryBanner, { recovery: { ...RESTARTED, at: 2_000 } });
    expect(screen.getByRole('status')).toBeTruthy();
  });

  it('says nothing for a brand-new node or before the status is known', () => {
    render(RecoveryBanner, { recovery: makeRecovery() });
    render(RecoveryBanner, { recovery: null });
    expect(screen.queryByRole('status')).toBeNull();
  });
});
