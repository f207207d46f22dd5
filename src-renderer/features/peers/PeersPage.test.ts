import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MembershipReceipt, NodeConfig } from '../../../shared/api';
import { encodeInviteCode } from '../../../shared/invite-code';
import { apiError, deferred, FakeApi, makeMembership, makePeerStatus, makeStatus } from '../../test/fake-api';
import { startSession } from '../../test/session';
import PeersPage from './PeersPage.svelte';

let fake: FakeApi;
let stop: () => void;

function setup() {
  const started = startSession(fake);
  stop = started.stop;
  return render(PeersPage, { session: started.session });
}

function field(name: string | RegExp): HTMLInputElement {
  return screen.getByRole('textbox', { name }) as HTMLInputElement;
}

async function fill(name: string | RegExp, value: string): Promise<void> {
  await fireEvent.input(field(name), { target: { value } });
}

function stubClipboard(writeText: ((text: string) => Promise<void>) | undefined): void {
  Object.defineProperty(navigator, 'clipboard', { value: writeText === undefined ? undefined : { writeText }, configurable: true });
}

function text(element: Element | null | undefined): string {
  return element?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

function membersTable(): HTMLElement {
  return screen.getByRole('table', { name: 'The members of the cluster' });
}

function rows(): string[][] {
  return within(membersTable())
    .getAllByRole('row')
    .slice(1)
    .map((row) => [...row.querySelectorAll('th, td')].map((cell) => text(cell)));
}

function removeButton(id: string): HTMLButtonElement {
  return within(membersTable()).getByRole('button', { name: `Remove ${id}` }) as HTMLButtonElement;
}

function confirmation(): HTMLElement {
  return screen.getByRole('alertdialog');
}

const ALICE = { id: 'alice', address: '127.0.0.1:7400' };
const BOB = { id: 'bob', address: '127.0.0.1:7401' };
const CAROL = { id: 'carol', address: '127.0.0.1:7402' };

beforeEach(() => {
  fake = new FakeApi();
});

afterEach(() => {
  stop();
  Reflect.deleteProperty(navigator, 'clipboard');
});

describe('PeersPage: this node and the members', () => {
  it('shows this node and every replicated member with its reachability, last heard, commit index and marks', async () => {
    fake.statusValue = makeStatus({ leader: 'bob', role: 'follower', commitIndex: 12 });
    setup();
    await waitFor(() => expect(screen.getByText('Name').nextElementSibling?.textContent).toBe('Alice'));
    expect(screen.getByText('UDP address').nextElementSibling?.textContent).toBe('127.0.0.1:7400');
    expect(screen.getByText('Membership').nextElementSibling?.textContent).toBe('member');

    expect(rows()).toEqual([
      ['alice this node', '127.0.0.1:7400', '—', '—', '12', 'Remove'],
      ['bob leader', '127.0.0.1:7401', '● reachable', '2 s ago', '10', 'Remove'],
      ['carol', '127.0.0.1:7402', '○ unreachable', 'never', '10', 'Remove'],
    ]);
    expect(screen.getByText(/a change chosen at slot s takes effect at slot s \+ 64/)).toBeTruthy();
  });

  it('lists a member added through the log even before this node hears from it', async () => {
    const dave = { id: 'dave', address: '10.0.0.4:7400' };
    fake.statusValue = makeStatus({ membership: makeMembership('alice', [ALICE, BOB, CAROL, dave]) });
    setup();
    await waitFor(() => expect(rows().map((row) => row.slice(0, 3))).toContainEqual(['dave', '10.0.0.4:7400', '○ unreachable']));
  });

  it('shows a pending change plainly, with the delay rule, and holds removals until it takes effect', async () => {
    const cyd = { id: 'cyd', address: '127.0.0.1:7403' };
    fake.statusValue = makeStatus({ membership: makeMembership('alice', [ALICE, BOB, CAROL], { pending: { members: [ALICE, BOB, CAROL, cyd], fromSlot: 130, changedAt: 66 } }) });
    setup();

    const notice = (await screen.findByText('cyd joins at slot 130')).closest('p');
    expect(text(notice)).toContain('(the change was chosen at slot 66)');
    expect(text(notice)).toContain('A change chosen at slot s takes effect at slot s + 64');
    expect(rows()[3]?.slice(0, 2)).toEqual(['cyd joins at slot 130', '127.0.0.1:7403']);

    const remove = removeButton('bob');
    expect(remove.disabled).toBe(true);
    expect(text(document.getElementById(remove.getAttribute('aria-describedby')!))).toBe('One change at a time: wait until slot 130, when the pending change takes effect.');
    // A joiner cannot be removed before it is a member.
    expect(within(membersTable()).queryByRole('button', { name: 'Remove cyd' })).toBeNull();
  });

  it('says so while this node joins and knows no members yet', async () => {
    fake.statusValue = makeStatus({ peers: [], membership: makeMembership('alice', null) });
    setup();
    expect(await screen.findByText('This node is joining a cluster: it does not know the members yet.')).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.getByText('Membership').nextElementSibling?.textContent).toBe('joining a cluster');
  });
});

describe('PeersPage: removing a member', () => {
  it('asks for confirmation in the page, and cancelling sends nothing', async () => {
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
    await waitFor(() => expect(rows()[2]?.[0]).toBe('carol leaves at slot 164'));
    expect(screen.getByText('carol leaves at slot 164').closest('p')?.textContent).toContain('chosen at slot 100');
    expect(removeButton('bob').disabled).toBe(true);
  });

  it('warns that the cluster will stall when the page can tell, and forces only after a second confirmation', async () => {
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
    await waitFor(() => expect(rows()).toHaveLength(1));
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
    fake.statusValue = makeStatus({ peers: [makePeerStatus({ id: 'bob', address: BOB.address }), makePeerStatus({ id: 'carol', address: CAROL.address })] });
    setup();
    await waitFor(() => expect(removeButton('alice').disabled).toBe(false));
    await fireEvent.click(removeButton('alice'));
    expect(text(confirmation())).toContain('Remove this node from the cluster?');
    await fireEvent.click(within(confirmation()).getByRole('button', { name: 'Yes, remove alice' }));
    expect(fake.callsOf('removeMember')).toEqual([{ id: 'alice' }]);
    expect(await screen.findByText('This node leaves the cluster at slot 164: the change was chosen at slot 100.')).toBeTruthy();
  });
});

describe('PeersPage: joining a cluster', () => {
  it('joins without any consent when this node has no history, then shows the progress live', async () => {
    fake.configValue = { ...fake.configValue, hasHistory: false };
    setup();
    await screen.findByRole('button', { name: 'Join cluster' });
    expect(screen.queryByRole('checkbox')).toBeNull();
    expect(screen.queryByText(/history will be discarded/)).toBeNull();

    await fill('Address of a member (host:port)', ' 10.0.0.9:7400 ');
    await fill('Secret of the cluster to join', 'their cluster secret');
    await fireEvent.click(screen.getByRole('button', { name: 'Join cluster' }));

    await waitFor(() => expect(fake.callsOf('join')).toEqual([{ address: '10.0.0.9:7400', secret: 'their cluster secret' }]));
    expect(await screen.findByText('Asked 10.0.0.9:7400 to add this node. Its progress shows below.')).toBeTruthy();

    const live = screen.getAllByRole('status').find((region) => region.classList.contains('join-message'))!;
    await waitFor(() => expect(text(live)).toBe('Contacting a member: Asking 10.0.0.9:7400 to add this node.'));
    const progress = screen.getByRole('group', { name: 'Joining through 10.0.0.9:7400' });
    expect(text(within(progress).getByRole('listitem', { current: 'step' }))).toContain('Contacting a member');

    fake.setJoining({ contact: '10.0.0.9:7400', stage: 'catching-up', message: 'Fetching the snapshot and the log tail.' });
    await waitFor(() => expect(text(live)).toBe('Catching up: Fetching the snapshot and the log tail.'));
    expect(text(within(progress).getByRole('listitem', { current: 'step' }))).toContain('Catching up');
    expect(screen.getByText('Membership').nextElementSibling?.textContent).toBe('joining a cluster');

    fake.setJoining({ contact: '10.0.0.9:7400', stage: 'refused', message: 'The secret does not match.' });
    await waitFor(() => expect(text(live)).toBe('Refused: The secret does not match.'));
  });

  it('joins with an invite code: the members it lists and the secret it carries, any one member answering', async () => {
    fake.configValue = { ...fake.configValue, hasHistory: false };
    setup();
    await screen.findByRole('button', { name: 'Join cluster' });
    const code = encodeInviteCode({ addresses: ['10.0.0.9:7400', '10.0.0.10:7400'], secret: 'their cluster secret' });
    await fill('Invite code', `${code.slice(0, 30)}\n${code.slice(30)}`);
    await fireEvent.click(screen.getByRole('button', { name: 'Join cluster' }));
    await waitFor(() => expect(fake.callsOf('join')).toEqual([{ address: ['10.0.0.9:7400', '10.0.0.10:7400'], secret: 'their cluster secret' }]));
    expect(await screen.findByText('Asked the members at 10.0.0.9:7400, 10.0.0.10:7400 to add this node: whichever answers adds it. Its progress shows below.')).toBeTruthy();
    expect(field('Invite code').value).toBe('');
  });

  it('refuses a damaged invite code next to its field, without asking for an address or secret', async () => {
    fake.configValue = { ...fake.configValue, hasHistory: false };
    setup();
    await screen.findByRole('button', { name: 'Join cluster' });
    const code = encodeInviteCode({ addresses: ['10.0.0.9:7400'], secret: 'their cluster secret' });
    await fill('Invite code', code.slice(0, -4));
    await fireEvent.click(screen.getByRole('button', { name: 'Join cluster' }));
    expect(screen.getByText(/The invite code is damaged or incomplete/)).toBeTruthy();
    expect(field('Invite code').getAttribute('aria-invalid')).toBe('true');
    await waitFor(() => expect(document.activeElement).toBe(field('Invite code')));
    expect(field('Address of a member (host:port)').getAttribute('aria-invalid')).toBeNull();
    expect(fake.callsOf('join')).toEqual([]);
  });

  it('picks a cluster heard on the network: its members fill the address, the secret is still asked for', async () => {
    fake.configValue = { ...fake.configValue, hasHistory: false };
    fake.discoveryValue = {
      enabled: true,
      note: null,
      clusters: [{ tag: '0123456789abcdef', members: 2, heard: [{ id: 'ann', name: 'Ann', address: '192.168.1.10:7400' }, { id: 'bob', name: 'Bob', address: '192.168.1.11:7400' }], lastHeardMs: 1_000 }],
    };
    setup();
    await fireEvent.click(await screen.findByRole('button', { name: 'Pick the cluster of Ann, Bob' }));
    expect(field('Address of a member (host:port)').value).toBe('192.168.1.10:7400, 192.168.1.11:7400');
    expect(screen.getByText('Picked the cluster of Ann, Bob. Now enter its secret (or paste an invite code instead).')).toBeTruthy();
    expect(document.activeElement).toBe(field('Secret of the cluster to join'));
    await fill('Secret of the cluster to join', 'their cluster secret');
    await fireEvent.click(screen.getByRole('button', { name: 'Join cluster' }));
    await waitFor(() => expect(fake.callsOf('join')).toEqual([{ address: ['192.168.1.10:7400', '192.168.1.11:7400'], secret: 'their cluster secret' }]));
  });

  it('says before submitting that history will be discarded, and requires the checkbox', async () => {
    setup();
    const warning = await screen.findByText(/This node's own history will be discarded\./);
    expect(text(warning.closest('p'))).toContain('joining another cluster throws them away');
    const consent = screen.getByRole('checkbox', { name: "Discard this node's own history and join" }) as HTMLInputElement;
    expect(consent.getAttribute('aria-describedby')).toContain(warning.closest('p')!.id);

    await fill('Address of a member (host:port)', '10.0.0.9:7400');
    await fill('Secret of the cluster to join', 'their cluster secret');
    await fireEvent.click(screen.getByRole('button', { name: 'Join cluster' }));
    expect(screen.getByText("Tick the box to confirm that this node's own history may be discarded.")).toBeTruthy();
    expect(consent.getAttribute('aria-invalid')).toBe('true');
    expect(fake.callsOf('join')).toHaveLength(0);

    await fireEvent.click(consent);
    await fireEvent.click(screen.getByRole('button', { name: 'Join cluster' }));
    await waitFor(() => expect(fake.callsOf('join')).toEqual([{ address: '10.0.0.9:7400', secret: 'their cluster secret', discardHistory: true }]));
  });

  it('shows the confirmation when the node still asks for consent, and sends discardHistory only then', async () => {
    fake.configValue = { ...fake.configValue, hasHistory: false };
    fake.override.join = async (args, original) => {
      if (args.discardHistory !== true) throw apiError({ code: 'needs-confirmation', message: 'This node has 12 commands of its own cluster.' });
      return original(args);
    };
    setup();
    await screen.findByRole('button', { name: 'Join cluster' });
    await fill('Address of a member (host:port)', '10.0.0.9:7400');
    await fill('Secret of the cluster to join', 'their cluster secret');
    await fireEvent.click(screen.getByRole('button', { name: 'Join cluster' }));

    const dialog = await screen.findByRole('alertdialog');
    expect(text(document.getElementById(dialog.getAttribute('aria-labelledby')!))).toBe("Discard this node's history?");
    expect(text(dialog)).toContain("Joining discards this node's own history");
    expect(text(dialog)).toContain('The node says: This node has 12 commands of its own cluster.');
    await waitFor(() => expect(document.activeElement).toBe(dialog));

    await fireEvent.click(within(dialog).getByRole('button', { name: 'Discard history and join' }));
    await waitFor(() =>
      expect(fake.callsOf('join')).toEqual([
        { address: '10.0.0.9:7400', secret: 'their cluster secret' },
        { address: '10.0.0.9:7400', secret: 'their cluster secret', discardHistory: true },
      ]),
    );
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
  });

  it('checks the address and the secret next to the fields', async () => {
    fake.configValue = { ...fake.configValue, hasHistory: false };
    setup();
    await fireEvent.click(await screen.findByRole('button', { name: 'Join cluster' }));
    expect(screen.getByText(/Enter the address of any member of the cluster/)).toBeTruthy();
    expect(screen.getByText(/Enter the cluster's secret/)).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(field('Address of a member (host:port)')));

    await fill('Address of a member (host:port)', 'somewhere');
    expect(screen.getByText(/The address must be HOST:PORT/)).toBeTruthy();
    await fill('Secret of the cluster to join', 'short');
    expect(screen.getByText('The cluster secret must be at least 8 characters long (got 5).')).toBeTruthy();
    expect(field('Secret of the cluster to join').getAttribute('aria-invalid')).toBe('true');
    expect(fake.callsOf('join')).toHaveLength(0);
  });

  it('shows a refused join in an alert', async () => {
    fake.configValue = { ...fake.configValue, hasHistory: false };
    fake.override.join = async () => {
      throw apiError({ code: 'invalid-argument', message: 'join: the address must be HOST:PORT' });
    };
    setup();
    await screen.findByRole('button', { name: 'Join cluster' });
    await fill('Address of a member (host:port)', '10.0.0.9:7400');
    await fill('Secret of the cluster to join', 'their cluster secret');
    await fireEvent.click(screen.getByRole('button', { name: 'Join cluster' }));
    expect(text(await screen.findByRole('alert'))).toBe('This node did not join: join: the address must be HOST:PORT');
  });

  it('still joins when the configuration is not editable (a headless node), with the note by the name', async () => {
    fake.configValue = { ...fake.configValue, editable: false, hasHistory: false, note: 'This node takes its name from the synod-node command line.' };
    setup();
    const note = await screen.findByText('This node takes its name from the synod-node command line.');
    expect(note.closest('section')?.querySelector('h3')?.textContent).toBe('This node');
    expect(screen.queryByRole('textbox', { name: 'Display name' })).toBeNull();
    const join = screen.getByRole('button', { name: 'Join cluster' }) as HTMLButtonElement;
    expect(join.disabled).toBe(false);
    // Members can still be removed through the log.
    expect(removeButton('carol').disabled).toBe(false);
    expect(screen.getByRole('button', { name: 'Show secret' })).toBeTruthy();
    await fill('Address of a member (host:port)', '10.0.0.9:7400');
    await fill('Secret of the cluster to join', 'their cluster secret');
    await fireEvent.click(join);
    await waitFor(() => expect(fake.callsOf('join')).toEqual([{ address: '10.0.0.9:7400', secret: 'their cluster secret' }]));
  });
});

describe('PeersPage: the display name', () => {
  it('saves a new name with updateConfig', async () => {
    const reply = deferred<NodeConfig>();
    fake.override.updateConfig = async (args, original) => {
      await reply.promise;
      return original(args);
    };
    setup();
    await waitFor(() => expect(field('Display name').value).toBe('Alice'));
    await fill('Display name', '  Alice B  ');
    const save = screen.getByRole('button', { name: 'Save name' }) as HTMLButtonElement;
    await fireEvent.click(save);
    expect(save.disabled).toBe(true);
    expect(fake.callsOf('updateConfig')).toEqual([{ name: 'Alice B' }]);

    reply.resolve(fake.configValue);
    expect(await screen.findByText('Saved: this node is now called Alice B.')).toBeTruthy();
    expect(field('Display name').value).toBe('Alice B');
  });

  it('checks the name next to the field', async () => {
    setup();
    await waitFor(() => expect(field('Display name').value).toBe('Alice'));
    await fill('Display name', '   ');
    await fireEvent.click(screen.getByRole('button', { name: 'Save name' }));
    expect(screen.getByText('Enter a display name.')).toBeTruthy();
    expect(field('Display name').getAttribute('aria-invalid')).toBe('true');
    expect(fake.callsOf('updateConfig')).toHaveLength(0);
  });
});

describe('PeersPage: the cluster secret', () => {
  it('is hidden until Show secret, and hides again', async () => {
    setup();
    expect(await screen.findByText('•••••')).toBeTruthy();
    expect(screen.getByText(/Share this with a machine that joins/)).toBeTruthy();
    expect(fake.callsOf('revealSecret')).toHaveLength(0);

    await fireEvent.click(screen.getByRole('button', { name: 'Show secret' }));
    expect(((await screen.findByRole('textbox', { name: 'Cluster secret' })) as HTMLInputElement).value).toBe('correct horse battery staple');

    await fireEvent.click(screen.getByRole('button', { name: 'Hide secret' }));
    expect(screen.queryByRole('textbox', { name: 'Cluster secret' })).toBeNull();
    expect(screen.getByText('•••••')).toBeTruthy();
  });

  it('copies the secret to the clipboard without showing it', async () => {
    const writeText = vi.fn(async (_text: string) => {});
    stubClipboard(writeText);
    setup();
    await fireEvent.click(await screen.findByRole('button', { name: 'Copy secret' }));

    expect(await screen.findByText('The secret was copied to the clipboard.')).toBeTruthy();
    expect(writeText).toHaveBeenCalledWith('correct horse battery staple');
    expect(screen.queryByRole('textbox', { name: 'Cluster secret' })).toBeNull();
  });

  it('shows the secret to copy by hand when the clipboard refuses', async () => {
    stubClipboard(async () => {
      throw new Error('Document is not focused.');
    });
    setup();
    await fireEvent.click(await screen.findByRole('button', { name: 'Copy secret' }));

    expect(await screen.findByText(/select and copy it/)).toBeTruthy();
    const shown = screen.getByRole('textbox', { name: 'Cluster secret' }) as HTMLInputElement;
    expect(shown.value).toBe('correct horse battery staple');
    await waitFor(() => expect(document.activeElement).toBe(shown));
  });

  it('shows the secret to copy by hand when there is no clipboard at all', async () => {
    stubClipboard(undefined);
    setup();
    await fireEvent.click(await screen.findByRole('button', { name: 'Copy secret' }));
    expect(await screen.findByText(/select and copy it/)).toBeTruthy();
  });
});
