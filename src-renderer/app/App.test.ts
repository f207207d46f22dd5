import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiError, bridgeFor, FakeApi, makeStatus } from '../../test/support/renderer/fake-api';
import App from './App.svelte';
import { ROUTES, routeFromHash } from './router.svelte';

let fake: FakeApi;

beforeEach(() => {
  fake = new FakeApi();
  // What the Electron preload exposes: App's connectApi() picks it up.
  Object.defineProperty(window, 'synod', { value: bridgeFor(fake), configurable: true });
});

afterEach(() => {
  Reflect.deleteProperty(window, 'synod');
  window.location.hash = '';
});

describe('App', () => {
  it('renders the brand, all nav links and the default page', async () => {
    render(App);

    expect(screen.getByRole('heading', { level: 1, name: 'Synod' })).toBeTruthy();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    const links = ROUTES.map((route) => screen.getByRole('link', { name: route.title }));
    expect(links.map((link) => link.getAttribute('href'))).toEqual(['#/timeline', '#/people', '#/peers', '#/inspector', '#/cluster', '#/scenarios']);
    expect(links.every((link) => nav.contains(link))).toBe(true);
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Timeline');
    expect(screen.getByRole('link', { name: 'Timeline' }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByRole('textbox', { name: 'Compose tweet' })).toBeTruthy();
    await screen.findByText('@alice');
  });

  it('shows the node, its role and who leads, following status events', async () => {
    render(App);
    const header = screen.getByRole('banner');

    expect(await within(header).findByText('@alice')).toBeTruthy();
    expect(within(header).getByText('Alice')).toBeTruthy();
    expect(within(header).getByText('leader')).toBeTruthy();
    expect(within(header).getByText('This node leads')).toBeTruthy();

    fake.emit({ type: 'status', status: makeStatus({ role: 'follower', leader: 'bob' }) });
    expect(await within(header).findByText('follower')).toBeTruthy();
    expect(within(header).getByText('Led by bob')).toBeTruthy();

    fake.emit({ type: 'status', status: makeStatus({ role: 'candidate', leader: null }) });
    expect(await within(header).findByText('candidate')).toBeTruthy();
    expect(within(header).getByText('No leader right now')).toBeTruthy();
  });

  it('says the leader it names is the live one while the Cluster view replays a recording', async () => {
    fake.statusValue = makeStatus({ role: 'follower', leader: 'bob' });
    render(App);
    const header = screen.getByRole('banner');
    expect(await within(header).findByText('Led by bob')).toBeTruthy();
    await fireEvent.click(screen.getByRole('link', { name: 'Cluster' }));
    const replay = await screen.findByRole('region', { name: 'Replay' });
    // Recorded a minute ago: alice led then (an accept at its own ballot); bob leads now.
    const at = Date.now() - 60_000;
    fake.emit({ type: 'trace', messages: [{ at, direction: 'out', from: 'alice', to: 'bob', type: 'accept', slot: 7, ballot: { round: 2, node: 'alice' } }] });
    await waitFor(() => expect(within(replay).getByRole('button', { name: 'Pause' }).hasAttribute('disabled')).toBe(false));

    await fireEvent.click(within(replay).getByRole('button', { name: 'Pause' }));
    expect(within(replay).getByRole('status').textContent).toBe('Replay paused');
    expect(screen.getAllByText(/^Replay at/).length).toBeGreaterThan(0);
    expect(within(header).getByText('Live: led by bob')).toBeTruthy();
    expect(within(header).queryByText('Led by bob')).toBeNull();

    await fireEvent.click(within(replay).getByRole('button', { name: 'Live' }));
    expect(await within(header).findByText('Led by bob')).toBeTruthy();

    // A replay left behind on the Cluster view does not follow the header to another page.
    await fireEvent.click(within(replay).getByRole('button', { name: 'Pause' }));
    expect(await within(header).findByText('Live: led by bob')).toBeTruthy();
    await fireEvent.click(screen.getByRole('link', { name: 'Timeline' }));
    expect(await within(header).findByText('Led by bob')).toBeTruthy();
  });

  it('switches page when a nav link is clicked and moves focus to its heading', async () => {
    render(App);

    await fireEvent.click(screen.getByRole('link', { name: 'Peers' }));

    const heading = await screen.findByRole('heading', { level: 2, name: 'Peers' });
    expect(screen.getByRole('link', { name: 'Peers' }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByRole('link', { name: 'Timeline' }).getAttribute('aria-current')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(heading));
    expect(await screen.findByRole('button', { name: 'Join cluster' })).toBeTruthy();

    await fireEvent.click(screen.getByRole('link', { name: 'People' }));
    expect(await screen.findByRole('button', { name: 'Block bob' })).toBeTruthy();
  });

  it.each(['Inspector', 'Cluster'])('renders the %s page', async (title) => {
    render(App);
    await fireEvent.click(screen.getByRole('link', { name: title }));
    expect(await screen.findByRole('heading', { level: 2, name: title })).toBeTruthy();
  });

  it('shows a banner when the node cannot be reached, and clears it once it answers', async () => {
    let down = true;
    fake.override.status = async (_args, original) => {
      if (down) throw apiError({ code: 'unavailable', message: 'status: the node is not running.' });
      return original(undefined);
    };
    render(App);

    const banner = await screen.findByRole('alert');
    expect(banner.textContent).toMatch(/The node cannot be reached\. status: the node is not running\./);

    down = false;
    await fireEvent.click(within(banner).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(screen.queryByText(/The node cannot be reached/)).toBeNull());
    expect(await screen.findByText('@alice')).toBeTruthy();
  });

  it('says the node is down while it restarts after a crash a member asked for, until its first status', async () => {
    render(App);
    expect(await screen.findByText('@alice')).toBeTruthy();
    fake.emit({ type: 'down', message: 'This node crashed on a member\'s request (the Scenarios panel) and starts again from its disk at 10:00:08.', untilMs: 1 });
    const banner = await screen.findByRole('alert');
    expect(banner.textContent).toMatch(/The node cannot be reached\. This node crashed on a member's request/);
    fake.emit({ type: 'status', status: makeStatus() });
    await waitFor(() => expect(screen.queryByText(/The node cannot be reached/)).toBeNull());
  });

  it('stops following the node when it goes away', async () => {
    const { unmount } = render(App);
    await waitFor(() => expect(fake.subscriberCount).toBe(1));
    unmount();
    expect(fake.subscriberCount).toBe(0);
  });
});

describe('routeFromHash', () => {
  it('parses hashes and falls back to the timeline', () => {
    expect(routeFromHash('#/people').id).toBe('people');
    expect(routeFromHash('#cluster').id).toBe('cluster');
    expect(routeFromHash('#/inspector/slot/3').id).toBe('inspector');
    expect(routeFromHash('').id).toBe('timeline');
    expect(routeFromHash('#/nope').id).toBe('timeline');
  });
});
