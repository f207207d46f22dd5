import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiError, FakeApi, makeEntry } from '../../../test/support/renderer/fake-api';
import { renderOnSession } from '../../../test/support/renderer/session';
import type { CommandReceipt } from '../../../shared/api';
import TimelinePage from './TimelinePage.svelte';
import { deferred } from '../../../test/support/deferred';

let fake: FakeApi;

function setup() {
  return renderOnSession(TimelinePage, fake, {});
}

function compose(): HTMLTextAreaElement {
  return screen.getByRole('textbox', { name: 'Compose tweet' }) as HTMLTextAreaElement;
}

function tweetButton(): HTMLButtonElement {
  return screen.getByRole('button', { name: 'Tweet' }) as HTMLButtonElement;
}

async function type(text: string): Promise<void> {
  await fireEvent.input(compose(), { target: { value: text } });
}

function articles(): HTMLElement[] {
  return screen.queryAllByRole('article');
}

beforeEach(() => {
  fake = new FakeApi();
});

describe('compose box', () => {
  it('counts characters live, counting emoji as one, and only enables Tweet for 1..280', async () => {
    setup();
    const counter = screen.getByText('0 / 280');
    expect(counter.getAttribute('aria-live')).toBe('polite');
    expect(tweetButton().disabled).toBe(true);

    await type('hello world!');
    expect(counter.textContent).toBe('12 / 280');
    expect(tweetButton().disabled).toBe(false);

    await type('👍🏽👨‍👩‍👧 ok');
    expect(counter.textContent).toBe('5 / 280');

    await type('   \n  ');
    expect(counter.textContent).toBe('0 / 280');
    expect(tweetButton().disabled).toBe(true);

    await type('x'.repeat(270));
    expect(counter.textContent).toBe('270 / 280, 10 characters left');
    expect(counter.classList.contains('near')).toBe(true);

    await type('👍🏽'.repeat(280));
    expect(counter.textContent).toBe('280 / 280, 0 characters left');
    expect(tweetButton().disabled).toBe(false);

    await type(`${'👍🏽'.repeat(280)}!`);
    expect(counter.textContent).toBe('281 / 280, 1 too many');
    expect(counter.classList.contains('over')).toBe(true);
    expect(tweetButton().disabled).toBe(true);
    expect(compose().getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/at most 280 characters: remove 1/)).toBeTruthy();
  });

  it('shows the tweet as pending at once, then final with its slot', async () => {
    const reply = deferred<CommandReceipt>();
    fake.override.tweet = () => reply.promise;
    setup();
    await screen.findByText(/No tweets yet/);

    await type('  first tweet\nsecond line ');
    await fireEvent.click(tweetButton());

    const [pending] = articles();
    expect(pending).toBeDefined();
    expect(within(pending!).getByText('Waiting for a quorum…')).toBeTruthy();
    expect(within(pending!).getByText('@alice')).toBeTruthy();
    expect(within(pending!).getByText('first tweet\nsecond line', { normalizer: (s) => s })).toBeTruthy();
    expect(compose().value).toBe('');
    expect(fake.callsOf('tweet')).toEqual([{ text: 'first tweet\nsecond line' }]);

    reply.resolve({ id: 'alice/42', slot: 42 });
    expect(await within(pending!).findByText('slot 42')).toBeTruthy();
    expect(within(pending!).queryByText('Waiting for a quorum…')).toBeNull();
  });

  it('keeps a tweet that got no quorum as queued until the timeline holds it', async () => {
    fake.override.tweet = async () => {
      throw apiError({ code: 'pending', id: 'alice/7', message: 'No quorum answered within 5 s.' });
    };
    setup();
    await type('are you there?');
    await fireEvent.click(tweetButton());

    expect(await screen.findByText('Queued: it will be published when enough peers are reachable')).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(compose().value).toBe('');

    // A quorum returns: the command is chosen in slot 120 and the timeline reloads on the event.
    fake.entries = [makeEntry(120, { id: 'alice/7', author: 'alice', authorName: 'Alice', text: 'are you there?' })];
    fake.choose();

    expect(await screen.findByText('slot 120')).toBeTruthy();
    expect(screen.queryByText(/^Queued/)).toBeNull();
    expect(articles()).toHaveLength(1);
  });

  it('shows other failures in words and puts the text back in the box', async () => {
    fake.override.tweet = async () => {
      throw apiError({ code: 'invalid-argument', message: 'A tweet cannot contain control characters.' });
    };
    setup();
    await type('oops');
    await fireEvent.click(tweetButton());

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Your tweet was not sent: A tweet cannot contain control characters.');
    expect(compose().value).toBe('oops');
    expect(articles()).toHaveLength(0);
  });

  it('submits with Ctrl+Enter and Cmd+Enter, not with Enter alone', async () => {
    setup();
    await type('line one');
    await fireEvent.keyDown(compose(), { key: 'Enter' });
    expect(fake.callsOf('tweet')).toHaveLength(0);

    await fireEvent.keyDown(compose(), { key: 'Enter', ctrlKey: true });
    await type('second');
    await fireEvent.keyDown(compose(), { key: 'Enter', metaKey: true });
    expect(fake.callsOf('tweet')).toEqual([{ text: 'line one' }, { text: 'second' }]);
  });
});

describe('timeline list', () => {
  it('lists tweets newest first with author, handle, text, slot and time', async () => {
    fake.entries = [makeEntry(12, { author: 'carol', authorName: null, text: 'no name here' }), makeEntry(11, { text: 'hello\nworld' })];
    setup();

    const list = await screen.findByRole('list', { name: 'Tweets' });
    const items = within(list).getAllByRole('article');
    expect(items).toHaveLength(2);
    expect(within(items[0]!).getByText('carol')).toBeTruthy();
    expect(within(items[0]!).getByText('@carol')).toBeTruthy();
    expect(within(items[0]!).getByText('slot 12')).toBeTruthy();
    expect(within(items[1]!).getByText('Bob')).toBeTruthy();
    expect(within(items[1]!).getByText('hello\nworld', { normalizer: (s) => s })).toBeTruthy();
    const time = items[1]!.querySelector('time');
    expect(time?.getAttribute('datetime')).toBe(new Date(makeEntry(11).at).toISOString());
  });

  it('shows an empty state', async () => {
    setup();
    expect(await screen.findByText(/No tweets yet/)).toBeTruthy();
  });

  it('reloads when slots are chosen, once per burst', async () => {
    fake.entries = [makeEntry(10)];
    setup();
    await screen.findByText('slot 10');
    const before = fake.callsOf('timeline').length;

    fake.entries = [makeEntry(13, { text: 'newest' }), makeEntry(12), makeEntry(11), ...fake.entries];
    fake.choose();
    fake.choose();
    fake.choose();

    expect(await screen.findByText('newest')).toBeTruthy();
    expect(articles().map((a) => within(a).getByText(/^slot /).textContent)).toEqual(['slot 13', 'slot 12', 'slot 11', 'slot 10']);
    expect(fake.callsOf('timeline').length - before).toBe(1);
  });

  it('loads older tweets with `before`', async () => {
    fake.entries = Array.from({ length: 60 }, (_, i) => makeEntry(100 - i));
    setup();
    await screen.findByText('slot 100');
    expect(articles()).toHaveLength(50);

    await fireEvent.click(screen.getByRole('button', { name: 'Load older' }));

    await waitFor(() => expect(articles()).toHaveLength(60));
    expect(fake.callsOf('timeline').at(-1)).toEqual({ limit: 50, before: { slot: 51, position: 0 } });
    expect(screen.queryByRole('button', { name: 'Load older' })).toBeNull();
  });

  it('says so when the timeline cannot be loaded', async () => {
    fake.override.timeline = async () => {
      throw apiError({ code: 'unavailable', message: 'The node is starting.' });
    };
    setup();
    expect((await screen.findByRole('alert')).textContent).toBe('The timeline could not be loaded: The node is starting.');
  });
});
