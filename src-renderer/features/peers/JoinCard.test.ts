import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import type { JoinProgress, NodeConfig } from '../../../shared/api';
import { encodeInviteCode } from '../../../shared/invite-code';
import { ALICE, apiError, FakeApi, makeMembership, makeStatus } from '../../../test/support/renderer/fake-api';
import { field, fill } from '../../../test/support/renderer/form';
import { joinMessage, renderConfigCard } from '../../../test/support/renderer/peers';
import { text } from '../../../test/support/renderer/text';
import JoinCard from './JoinCard.svelte';

let fake: FakeApi;
/** The configurations the joins answered, handed back to the page (each came back to the card as its `config`). */
let joined: NodeConfig[];

function setup(config: NodeConfig | null = fake.configValue): void {
  joined = renderConfigCard(JoinCard, fake, 'onjoined', config);
}

const MEMBER: JoinProgress = { contact: '10.0.0.9:7400', stage: 'member', message: 'A full member: this node has the whole history and takes part in every decision.' };

beforeEach(() => {
  fake = new FakeApi();
});

describe('JoinCard: the form', () => {
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
    // Alone in its one-node cluster, whose history only it holds.
    fake.statusValue = makeStatus({ peers: [] });
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

  it('does not warn a member of a cluster with others (the history is the cluster\'s): the node asks, and discardHistory goes only after that', async () => {
    // The fake's own state: alice holds history and is a member with bob and carol.
    expect(fake.configValue.hasHistory).toBe(true);
    setup();
    fake.pushStatus({}); // the status is known before anything is looked at
    await fill('Address of a member (host:port)', '10.0.0.9:7400');
    await fill('Secret of the cluster to join', 'their cluster secret');
    expect(screen.queryByText(/history will be discarded/)).toBeNull();
    expect(screen.queryByRole('checkbox')).toBeNull();

    await fireEvent.click(screen.getByRole('button', { name: 'Join cluster' }));
    const dialog = await screen.findByRole('alertdialog');
    expect(text(dialog)).toContain('The node says: This node has its own history; joining another cluster discards it.');
    expect(fake.callsOf('join')).toEqual([{ address: '10.0.0.9:7400', secret: 'their cluster secret' }]);

    await fireEvent.click(within(dialog).getByRole('button', { name: 'Discard history and join' }));
    await waitFor(() => expect(fake.callsOf('join')).toHaveLength(2));
    expect(fake.callsOf('join')[1]).toEqual({ address: '10.0.0.9:7400', secret: 'their cluster secret', discardHistory: true });
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
});

describe('JoinCard: after the join', () => {
  it('once the join reaches Member, a confirmation takes the place of the form and of "Asked …"; Join another cluster brings the form back', async () => {
    fake.configValue = { ...fake.configValue, hasHistory: false };
    setup();
    await fill('Address of a member (host:port)', '10.0.0.9:7400');
    await fill('Secret of the cluster to join', 'their cluster secret');
    await fireEvent.click(screen.getByRole('button', { name: 'Join cluster' }));
    expect(await screen.findByText('Asked 10.0.0.9:7400 to add this node. Its progress shows below.')).toBeTruthy();
    expect(joined).toHaveLength(1);

    fake.setJoining(MEMBER);
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Join cluster' })).toBeNull());
    expect(screen.queryByRole('textbox', { name: 'Invite code' })).toBeNull();
    expect(screen.queryByRole('textbox', { name: 'Address of a member (host:port)' })).toBeNull();
    expect(screen.queryByText(/^Asked /)).toBeNull();
    expect(text(screen.getByText(/^This node is a member of the cluster/))).toBe('This node is a member of the cluster: it joined through 10.0.0.9:7400.');
    // The progress stays, every stage ticked, and so do the clusters heard on the network.
    const progress = screen.getByRole('group', { name: 'Joining through 10.0.0.9:7400' });
    expect(within(progress).getAllByRole('listitem').map((item) => text(item))).toEqual(['✓ Contacting a member', '✓ Being added', '✓ Catching up', '✓ Member']);
    expect(text(joinMessage())).toBe('Member: A full member: this node has the whole history and takes part in every decision.');
    expect(screen.getByRole('group', { name: 'Clusters on this network' })).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: 'Join another cluster' }));
    expect(screen.getByRole('button', { name: 'Join cluster' })).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(field('Invite code')));
    expect(screen.queryByText(/^Asked /)).toBeNull();
    expect(screen.queryByText(/^This node is a member of the cluster/)).toBeNull();

    // Another join: the form stays while it is under way, and gives way again at Member.
    await fill('Address of a member (host:port)', '10.0.0.20:7400');
    await fill('Secret of the cluster to join', 'another cluster secret');
    await fireEvent.click(screen.getByRole('button', { name: 'Join cluster' }));
    expect(await screen.findByText('Asked 10.0.0.20:7400 to add this node. Its progress shows below.')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Join cluster' })).toBeTruthy();
    fake.setJoining({ ...MEMBER, contact: '10.0.0.20:7400' });
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Join cluster' })).toBeNull());
    expect(text(screen.getByText(/^This node is a member of the cluster/))).toBe('This node is a member of the cluster: it joined through 10.0.0.20:7400.');
  });

  it('moves the focus to Join another cluster when the form it was in goes away', async () => {
    fake.configValue = { ...fake.configValue, hasHistory: false };
    setup();
    const submit = await screen.findByRole('button', { name: 'Join cluster' });
    submit.focus();
    fake.setJoining(MEMBER);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Join another cluster' })));
  });

  it('keeps the form after a refusal, to try again', async () => {
    fake.configValue = { ...fake.configValue, hasHistory: false };
    setup();
    await screen.findByRole('button', { name: 'Join cluster' });
    fake.setJoining({ contact: '10.0.0.9:7400', stage: 'refused', message: 'The secret does not match.' });
    await waitFor(() => expect(text(joinMessage())).toBe('Refused: The secret does not match.'));
    expect(screen.getByRole('button', { name: 'Join cluster' })).toBeTruthy();
    expect(screen.queryByText(/^This node is a member of the cluster/)).toBeNull();
  });

  it('picking a cluster heard on the network after Member brings the form back, with its members filled in', async () => {
    fake.statusValue = makeStatus({ membership: makeMembership('alice', null, { joining: MEMBER }) });
    fake.discoveryValue = {
      enabled: true,
      note: null,
      clusters: [{ tag: '0123456789abcdef', members: 1, heard: [{ id: 'ann', name: 'Ann', address: '192.168.1.10:7400' }], lastHeardMs: 1_000 }],
    };
    setup();
    await screen.findByRole('button', { name: 'Join another cluster' });
    expect(screen.queryByRole('button', { name: 'Join cluster' })).toBeNull();

    await fireEvent.click(await screen.findByRole('button', { name: 'Pick the cluster of Ann' }));
    expect(field('Address of a member (host:port)').value).toBe('192.168.1.10:7400');
    expect(screen.getByText('Picked the cluster of Ann. Now enter its secret (or paste an invite code instead).')).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(field('Secret of the cluster to join')));
  });

  it('shows the history warning only with the form: not in place of it after Member, again when the form comes back', async () => {
    // Member of the cluster it joined, and by now its last member: what it holds is its own again.
    fake.statusValue = makeStatus({ peers: [], membership: makeMembership('alice', [ALICE], { joining: MEMBER }) });
    setup();
    await screen.findByRole('button', { name: 'Join another cluster' });
    expect(screen.queryByText(/history will be discarded/)).toBeNull();
    expect(screen.queryByRole('checkbox')).toBeNull();

    await fireEvent.click(screen.getByRole('button', { name: 'Join another cluster' }));
    const warning = screen.getByText(/This node's own history will be discarded\./);
    const consent = screen.getByRole('checkbox', { name: "Discard this node's own history and join" });
    expect(consent.getAttribute('aria-describedby')).toContain(warning.closest('p')!.id);
  });

  it('never brings back a stale "Asked …": a pick during a join leaves it under way, a pick after Member starts afresh', async () => {
    fake.configValue = { ...fake.configValue, hasHistory: false };
    fake.discoveryValue = {
      enabled: true,
      note: null,
      clusters: [{ tag: '0123456789abcdef', members: 1, heard: [{ id: 'ann', name: 'Ann', address: '192.168.1.10:7400' }], lastHeardMs: 1_000 }],
    };
    setup();
    await fill('Address of a member (host:port)', '10.0.0.9:7400');
    await fill('Secret of the cluster to join', 'their cluster secret');
    await fireEvent.click(screen.getByRole('button', { name: 'Join cluster' }));
    expect(await screen.findByText('Asked 10.0.0.9:7400 to add this node. Its progress shows below.')).toBeTruthy();

    // Picked while the join is under way: once it reaches Member, the form and "Asked …" still go.
    await fireEvent.click(await screen.findByRole('button', { name: 'Pick the cluster of Ann' }));
    fake.setJoining(MEMBER);
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Join cluster' })).toBeNull());
    expect(screen.queryByText(/^Asked /)).toBeNull();

    // Picked after Member: the form comes back filled in, without what it said about the last join.
    await fireEvent.click(screen.getByRole('button', { name: 'Pick the cluster of Ann' }));
    expect(field('Address of a member (host:port)').value).toBe('192.168.1.10:7400');
    expect(screen.queryByText(/^Asked /)).toBeNull();
    expect(screen.queryByText(/^This node is a member of the cluster/)).toBeNull();
  });

  it('disables the form until the configuration is known', async () => {
    setup(null);
    const submit = (await screen.findByRole('button', { name: 'Join cluster' })) as HTMLButtonElement;
    expect(submit.closest('fieldset')?.disabled).toBe(true);
    await fireEvent.submit(submit.closest('form')!);
    expect(fake.callsOf('join')).toEqual([]);
  });
});
