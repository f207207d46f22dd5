import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeInviteCode } from '../../../shared/invite-code';
import { stubClipboard } from '../../../test/support/renderer/clipboard';
import { apiError, FakeApi } from '../../../test/support/renderer/fake-api';
import { renderOnSession } from '../../../test/support/renderer/session';
import InviteCard from './InviteCard.svelte';

let fake: FakeApi;

function setup() {
  return renderOnSession(InviteCard, fake, {});
}

beforeEach(() => {
  fake = new FakeApi();
});

describe('Invite a machine', () => {
  it('keeps the code hidden until asked, then shows it with the members it lists', async () => {
    setup();
    expect(screen.queryByRole('textbox', { name: 'Invite code of this cluster' })).toBeNull();
    expect(fake.callsOf('inviteCode')).toEqual([]);
    expect(screen.getByText(/Whoever has it can join and read every tweet/)).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: 'Show invite code' }));
    const field = (await screen.findByRole('textbox', { name: 'Invite code of this cluster' })) as HTMLTextAreaElement;
    const decoded = decodeInviteCode(field.value);
    expect(decoded).toEqual({ ok: true, invite: { addresses: ['127.0.0.1:7400', '127.0.0.1:7401', '127.0.0.1:7402'], secret: fake.secret } });
    expect(screen.getByText(/The new machine asks the members at/).textContent).toMatch(/127\.0\.0\.1:7400, 127\.0\.0\.1:7401, 127\.0\.0\.1:7402, one after the other/);

    await fireEvent.click(screen.getByRole('button', { name: 'Hide invite code' }));
    expect(screen.queryByRole('textbox', { name: 'Invite code of this cluster' })).toBeNull();
  });

  it('copies without showing, and shows the code when the clipboard refuses', async () => {
    const writeText = vi.fn(async (_text: string) => undefined);
    stubClipboard(writeText);
    setup();
    await fireEvent.click(screen.getByRole('button', { name: 'Copy invite code' }));
    expect(await screen.findByText('The invite code was copied to the clipboard.')).toBeTruthy();
    expect(writeText.mock.calls[0]?.[0]).toMatch(/^synod1\./);
    expect(screen.queryByRole('textbox', { name: 'Invite code of this cluster' })).toBeNull();

    stubClipboard(async () => {
      throw new Error('denied');
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Copy invite code' }));
    expect(await screen.findByText(/the invite code is shown below, select and copy it/)).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('textbox', { name: 'Invite code of this cluster' })));
  });

  it('says why there is no code', async () => {
    fake.override.inviteCode = async () => {
      throw apiError({ code: 'unavailable', message: 'This node is not a member of a cluster yet (it is joining): invite new machines from a member.' });
    };
    setup();
    await fireEvent.click(screen.getByRole('button', { name: 'Show invite code' }));
    expect((await screen.findByRole('alert')).textContent).toBe('No invite code: This node is not a member of a cluster yet (it is joining): invite new machines from a member.');
  });
});
