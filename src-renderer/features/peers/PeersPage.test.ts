/**
 * The Peers page as a whole: what one card shows of what another did. Each card's own behaviour is
 * tested beside it (NodeCard, PortCard, MembersCard, InviteCard, JoinCard, SecretCard).
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { ALICE, FakeApi, makeMembership, makeStatus } from '../../../test/support/renderer/fake-api';
import { fill } from '../../../test/support/renderer/form';
import { joinMessage, memberRows, removeButton } from '../../../test/support/renderer/peers';
import { renderOnSession } from '../../../test/support/renderer/session';
import { text } from '../../../test/support/renderer/text';
import PeersPage from './PeersPage.svelte';

let fake: FakeApi;

function setup() {
  return renderOnSession(PeersPage, fake, {});
}

const DAN = { id: 'dan', address: '10.0.0.9:7400' };

beforeEach(() => {
  fake = new FakeApi();
});

describe('PeersPage: this node and the members', () => {
  it('shows this node and every replicated member with its reachability, last heard, commit index and marks', async () => {
    fake.statusValue = makeStatus({ leader: 'bob', role: 'follower', commitIndex: 12 });
    setup();
    await waitFor(() => expect(screen.getByText('Name').nextElementSibling?.textContent).toBe('Alice'));
    expect(screen.getByText('UDP address').nextElementSibling?.textContent).toBe('127.0.0.1:7400');
    expect(screen.getByText('Membership').nextElementSibling?.textContent).toBe('member');

    expect(memberRows()).toEqual([
      ['alice this node', '127.0.0.1:7400', '—', '—', '12', 'Remove'],
      ['bob leader', '127.0.0.1:7401', '● reachable', '2 s ago', '10', 'Remove'],
      ['carol', '127.0.0.1:7402', '○ unreachable', 'never', '10', 'Remove'],
    ]);
    expect(screen.getByText(/a change chosen at slot s takes effect at slot s \+ 64/)).toBeTruthy();
  });

  it('says so while this node joins and knows no members yet', async () => {
    fake.statusValue = makeStatus({ peers: [], membership: makeMembership('alice', null) });
    setup();
    expect(await screen.findByText('This node is joining a cluster: it does not know the members yet.')).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.getByText('Membership').nextElementSibling?.textContent).toBe('joining a cluster');
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

    const live = joinMessage();
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

  it('reads the configuration again when the join reaches Member: the join card warns while this node is the last member left', async () => {
    fake.configValue = { ...fake.configValue, hasHistory: false };
    setup();
    await screen.findByRole('button', { name: 'Join cluster' });
    await fill('Address of a member (host:port)', '10.0.0.9:7400');
    await fill('Secret of the cluster to join', 'their cluster secret');
    await fireEvent.click(screen.getByRole('button', { name: 'Join cluster' }));
    await screen.findByText('Asked 10.0.0.9:7400 to add this node. Its progress shows below.');
    expect(fake.callsOf('config')).toHaveLength(1);

    // Caught up, the node holds the cluster's history; and by now it is the last member left, so joining
    // elsewhere would lose what it holds.
    const member = { contact: '10.0.0.9:7400', stage: 'member', message: 'A full member: this node has the whole history and takes part in every decision.' } as const;
    fake.configValue = { ...fake.configValue, hasHistory: true };
    fake.pushStatus({ membership: makeMembership('alice', [ALICE], { joining: member }) });
    await waitFor(() => expect(fake.callsOf('config')).toHaveLength(2));
    await fireEvent.click(await screen.findByRole('button', { name: 'Join another cluster' }));
    expect(await screen.findByText(/This node's own history will be discarded\./)).toBeTruthy();
    expect(screen.getByRole('checkbox', { name: "Discard this node's own history and join" })).toBeTruthy();

    // Dan joins it: the history is the cluster's again, and the card no longer warns (the node asks).
    fake.pushStatus({ membership: makeMembership('alice', [ALICE, DAN], { joining: member }) });
    await waitFor(() => expect(screen.queryByText(/history will be discarded/)).toBeNull());
    expect(screen.queryByRole('checkbox')).toBeNull();
  });

  it('forgets the secret shown before a join: the cluster joined has its own', async () => {
    fake.configValue = { ...fake.configValue, hasHistory: false };
    setup();
    await fireEvent.click(await screen.findByRole('button', { name: 'Show secret' }));
    expect(((await screen.findByRole('textbox', { name: 'Cluster secret' })) as HTMLInputElement).value).toBe('correct horse battery staple');

    await fill('Address of a member (host:port)', '10.0.0.9:7400');
    await fill('Secret of the cluster to join', 'their cluster secret');
    await fireEvent.click(screen.getByRole('button', { name: 'Join cluster' }));
    await screen.findByText('Asked 10.0.0.9:7400 to add this node. Its progress shows below.');
    expect(screen.queryByRole('textbox', { name: 'Cluster secret' })).toBeNull();
    expect(screen.getByText('•••••')).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: 'Show secret' }));
    expect(((await screen.findByRole('textbox', { name: 'Cluster secret' })) as HTMLInputElement).value).toBe('their cluster secret');
    expect(fake.callsOf('revealSecret')).toHaveLength(2);
  });
});
