import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiError, FakeApi, makeUser } from '../../../test/support/renderer/fake-api';
import { renderOnSession } from '../../../test/support/renderer/session';
import PeoplePage from './PeoplePage.svelte';

let fake: FakeApi;

function setup() {
  return renderOnSession(PeoplePage, fake, {});
}

function item(id: string): HTMLElement {
  const handle = screen.getByText(`@${id}`);
  const li = handle.closest('li');
  if (li === null) throw new Error(`no list item for ${id}`);
  return li;
}

beforeEach(() => {
  fake = new FakeApi();
});

describe('PeoplePage', () => {
  it('lists every user, marks this node\'s own as You and offers a toggle for the others', async () => {
    setup();
    const list = await screen.findByRole('list', { name: 'People' });
    await waitFor(() => expect(within(list).getAllByRole('listitem')).toHaveLength(3));
    await waitFor(() => expect(within(item('alice')).getByText('You')).toBeTruthy());
    expect(within(item('alice')).queryByRole('button')).toBeNull();
    expect(within(item('bob')).getByText('Bob')).toBeTruthy();

    const block = screen.getByRole('button', { name: 'Block bob' });
    expect(block.getAttribute('aria-pressed')).toBe('false');
    expect(screen.getByRole('button', { name: 'Block carol' })).toBeTruthy();
    expect(screen.getByText(/Blocking someone hides your tweets from them/)).toBeTruthy();
  });

  it('blocks and unblocks, disabling the toggle while the command runs', async () => {
    const release = fake.hold('block');
    setup();
    const block = await screen.findByRole('button', { name: 'Block bob' });

    await fireEvent.click(block);
    expect((block as HTMLButtonElement).disabled).toBe(true);
    expect(fake.callsOf('block')).toEqual([{ user: 'bob' }]);

    release();
    const unblock = await screen.findByRole('button', { name: 'Unblock bob' });
    expect(unblock.getAttribute('aria-pressed')).toBe('true');
    await waitFor(() => expect((unblock as HTMLButtonElement).disabled).toBe(false));

    await fireEvent.click(unblock);
    const again = await screen.findByRole('button', { name: 'Block bob' });
    expect(again.getAttribute('aria-pressed')).toBe('false');
    expect(fake.callsOf('unblock')).toEqual([{ user: 'bob' }]);
  });

  it('shows who blocks you', async () => {
    fake.userList = [makeUser('alice'), makeUser('bob', { blocks: ['alice'] }), makeUser('carol', { blocks: ['bob'] })];
    setup();
    await screen.findByRole('button', { name: 'Block bob' });
    expect(within(item('bob')).getByText('blocks you')).toBeTruthy();
    expect(within(item('carol')).queryByText('blocks you')).toBeNull();
  });

  it('shows a failed command in words and leaves the toggle as it was', async () => {
    fake.override.block = async () => {
      throw apiError({ code: 'rejected', message: 'There is no user bob.' });
    };
    setup();
    await fireEvent.click(await screen.findByRole('button', { name: 'Block bob' }));

    expect((await screen.findByRole('alert')).textContent).toBe('Could not block bob: There is no user bob.');
    const toggle = screen.getByRole('button', { name: 'Block bob' });
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    expect((toggle as HTMLButtonElement).disabled).toBe(false);
  });

  it('says when a command is queued for lack of a quorum', async () => {
    fake.override.block = async () => {
      throw apiError({ code: 'pending', id: 'alice/9', message: 'No quorum.' });
    };
    setup();
    await fireEvent.click(await screen.findByRole('button', { name: 'Block carol' }));
    expect((await screen.findByRole('status')).textContent).toMatch(/Queued: blocking carol takes effect when enough peers are reachable/);
  });

  it('reloads when slots are chosen (a block made elsewhere shows up)', async () => {
    setup();
    await screen.findByRole('button', { name: 'Block bob' });

    fake.userList = fake.userList.map((user) => (user.id === 'alice' ? { ...user, blocks: ['bob'] } : user.id === 'carol' ? { ...user, blocks: ['alice'] } : user));
    fake.choose();

    expect((await screen.findByRole('button', { name: 'Unblock bob' })).getAttribute('aria-pressed')).toBe('true');
    expect(within(item('carol')).getByText('blocks you')).toBeTruthy();
  });
});
