import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import type { MembershipReceipt } from '../../../shared/api';
import { ALICE, apiError, BOB, CAROL, FakeApi, makeMembership, makePeerStatus, makeStatus } from '../../../test/support/renderer/fake-api';
import { memberRows, membersTable, removeButton } from '../../../test/support/renderer/peers';
import { renderOnSession } from '../../../test/support/renderer/session';
import { text } from '../../../test/support/renderer/text';
import MembersCard from './MembersCard.svelte';
import { deferred } from '../../../test/support/deferred';

let fake: FakeApi;

function setup() {
  return renderOnSession(MembersCard, fake, {});
}

function confirmation(): HTMLElement {
  return screen.getByRole('alertdialog');
}

beforeEach(() => {
  fake = new FakeApi();
});

describe('MembersCard: the members', () => {
  it('lists a member added through the log even before this node hears from it', async () => {
    const dave = { id: 'dave', address: '10.0.0.4:7400' };
    fake.statusValue = makeStatus({ membership: makeMembership('alice', [ALICE, BOB, CAROL, dave]) });
    setup();
    await waitFor(() => expect(memberRows().map((row) => row.slice(0, 3))).toContainEqual(['dave', '10.0.0.4:7400', '○ unreachable']));
  });

  it('shows a pending change plainly, with the delay rule, and holds removals until it takes effect', async () => {
    const cyd = { id: 'cyd', address: '127.0.0.1:7403' };
    fake.statusValue = makeStatus({ membership: makeMembership('alice', [ALICE, BOB, CAROL], { pending: { members: [ALICE, BOB, CAROL, cyd], fromSlot: 130, changedAt: 66 } }) });
    setup();

    const notice = (await screen.findByText('cyd joins at slot 130')).closest('p');
    expect(text(notice)).toContain('(the change was chosen at slot 66)');
    expect(text(notice)).toContain('A change chosen at slot s takes effect at slot s + 64');
    expect(memberRows()[3]?.slice(0, 2)).toEqual(['cyd joins at slot 130', '127.0.0.1:7403']);

    const remove = removeButton('bob');
    expect(remove.disabled).toBe(true);
    expect(text(document.getElementById(remove.getAttribute('aria-describedby')!))).toBe('One change at a time: wait until slot 130, when the pending change takes effect.');
    // A joiner cannot be removed before it is a member.
    expect(within(membersTable()).queryByRole('button', { name: 'Remove cyd' })).toBeNull();
  });

  it('says so when this node is not in the configuration it knows', async () => {
    fake.statusValue = makeStatus({ membership: makeMembership('alice', [BOB, CAROL]) });
    setup();
    expect(await screen.findByText('This node is not a member of this cluster: it takes no part in deciding slots.')).toBeTruthy();
    expect(memberRows().map((row) => row[0])).toEqual(['bob', 'carol']);
  });
});

describe('MembersCard: removing a member', () => {
  it('asks for confirmation in the card, and cancelling sends nothing', async () => {
    setup();
    await waitFor(() => expect(removeButton('carol').disabled).toBe(false));
    await fireEvent.click(removeButton('carol'));

    const dialog = confirmation();
    expect(dialog.getAttribute('aria-labelledby')).toBeTruthy();
    expect(text(document.getElementById(dialog.getAttribute('aria-labelledby')!))).toBe('Remove carol from the cluster?');
    expect(text(document.getElementById(dialog.getAttribute('aria-describedby')!))).toContain('carol stops taking part in deciding slots from slot s + 64');
    expect(document.activeElement).toBe(dialog);
    expect(text(dialog)).not.toContain('stop accepting tweets');

    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(document.activeElement).toBe(removeButton('carol'));
    expect(fake.callsOf('removeMember')).toHaveLength(0);

    await fireEvent.click(removeButton('carol'));
    await fireEvent.keyDown(confirmation(), { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(fake.callsOf('removeMember')).toHaveLength(0);
  });

  it('removes a member after the simple confirmation and shows when the change takes effect', async () => {
    const reply = deferred<MembershipReceipt>();
    fake.override.removeMember = async (args, original) => {
      const receipt = await original(args);
      return reply.promise.then(() => receipt);
    };
    setup();
    await waitFor(() => expect(removeButton('carol').disabled).toBe(false));
    await fireEvent.click(removeButton('carol'));
    const yes = within(confirmation()).getByRole('button', { name: 'Yes, remove carol' }) as HTMLButtonElement;
    await fireEvent.click(yes);

    expect(fake.callsOf('removeMember')).toEqual([{ id: 'carol' }]);
    expect(yes.disabled).toBe(true);
    reply.resolve({ id: 'x', slot: 0, effectiveSlot: 0 });

    expect(await screen.findByText('carol leaves the cluster at slot 164: the change was chosen at slot 100.')).toBeTruthy();
    expect(screen.queryByRole('alertdialog')).toBeNull();
    // Removals wait for the pending change, so focus goes back to the Members heading.
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Members' })));
    // The pushed status marks carol as leaving and holds further removals.
    await waitFor(() => expect(memberRows()[2]?.[0]).toBe('carol leaves at slot 164'));
    expect(screen.getByText('carol leaves at slot 164').closest('p')?.textContent).toContain('chosen at slot 100');
    expect(removeButton('bob').disabled).toBe(true);
  });

  it('warns that the cluster will stall when the card can tell, and forces only after a second confirmation', async () => {
    setup();
    await waitFor(() => expect(removeButton('bob').disabled).toBe(false));
    await fireEvent.click(removeButton('bob'));
    expect(text(confirmation())).not.toContain('stop accepting tweets');
    await fireEvent.click(within(confirmation()).getByRole('button', { name: 'Yes, remove bob' }));

    // Bob is reachable, carol is not: without bob only alice of the two remaining is reachable.
    const dialog = confirmation();
    expect(text(dialog)).toContain('The cluster will stop accepting tweets until enough members are back.');
    expect(text(dialog)).toContain('Without bob, only 1 of the 2 remaining members is reachable, and deciding anything needs 2.');
    expect(document.activeElement).toBe(dialog);
    expect(fake.callsOf('removeMember')).toHaveLength(0);

    await fireEvent.click(within(dialog).getByRole('button', { name: 'Remove bob anyway' }));
    expect(fake.callsOf('removeMember')).toEqual([{ id: 'bob', force: true }]);
    expect(await screen.findByText(/bob leaves the cluster at slot 164/)).toBeTruthy();
  });

  it('asks again with the consequence when the node answers needs-confirmation, then sends force', async () => {
    fake.override.removeMember = async (args, original) => {
      if (args.force !== true) throw apiError({ code: 'needs-confirmation', message: 'Only 1 of 2 remaining members answered recently.' });
      return original(args);
    };
    setup();
    await waitFor(() => expect(removeButton('carol').disabled).toBe(false));
    await fireEvent.click(removeButton('carol'));
    await fireEvent.click(within(confirmation()).getByRole('button', { name: 'Yes, remove carol' }));

    const dialog = await screen.findByRole('alertdialog');
    await waitFor(() => expect(text(dialog)).toContain('The cluster will stop accepting tweets until enough members are back.'));
    expect(text(dialog)).toContain('The node says: Only 1 of 2 remaining members answered recently.');
    expect(screen.queryByRole('alert')).toBeNull();

    await fireEvent.click(within(dialog).getByRole('button', { name: 'Remove carol anyway' }));
    expect(fake.callsOf('removeMember')).toEqual([{ id: 'carol' }, { id: 'carol', force: true }]);
    expect(await screen.findByText(/carol leaves the cluster at slot 164/)).toBeTruthy();
  });

  it('refuses to remove the last member, with the reason', async () => {
    fake.statusValue = makeStatus({ peers: [], membership: makeMembership('alice', [ALICE]) });
    setup();
    await waitFor(() => expect(memberRows()).toHaveLength(1));
    const remove = removeButton('alice');
    expect(remove.disabled).toBe(true);
    expect(text(document.getElementById(remove.getAttribute('aria-describedby')!))).toBe('alice is the last member: a cluster needs at least one.');
    await fireEvent.click(remove);
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('shows a refusal from the node in an alert', async () => {
    fake.override.removeMember = async () => {
      throw apiError({ code: 'rejected', message: 'removeMember: another membership change is pending' });
    };
    setup();
    await waitFor(() => expect(removeButton('carol').disabled).toBe(false));
    await fireEvent.click(removeButton('carol'));
    await fireEvent.click(within(confirmation()).getByRole('button', { name: 'Yes, remove carol' }));

    expect(text(await screen.findByRole('alert'))).toBe('carol was not removed: removeMember: another membership change is pending');
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('removes this node itself with the same confirmation', async () => {
    fake.statusValue = makeStatus({ peers: [makePeerStatus(BOB), makePeerStatus(CAROL)] });
    setup();
    await waitFor(() => expect(removeButton('alice').disabled).toBe(false));
    await fireEvent.click(removeButton('alice'));
    expect(text(confirmation())).toContain('Remove this node from the cluster?');
    await fireEvent.click(within(confirmation()).getByRole('button', { name: 'Yes, remove alice' }));
    expect(fake.callsOf('removeMember')).toEqual([{ id: 'alice' }]);
    expect(await screen.findByText('This node leaves the cluster at slot 164: the change was chosen at slot 100.')).toBeTruthy();
  });
});
