import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NodeConfig } from '../../../shared/api';
import { apiError, deferred, FakeApi } from '../../test/fake-api';
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

beforeEach(() => {
  fake = new FakeApi();
});

afterEach(() => {
  stop();
  Reflect.deleteProperty(navigator, 'clipboard');
});

describe('PeersPage: this node and the members', () => {
  it('shows this node and every member with reachability in words and when it was last heard', async () => {
    setup();
    expect(await screen.findByText('127.0.0.1:7400')).toBeTruthy();
    expect(screen.getByText('Alice')).toBeTruthy();

    const table = screen.getByRole('table');
    const rows = within(table).getAllByRole('row').slice(1);
    const cells = (row: HTMLElement) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent?.replace(/\s+/g, ' ').trim());
    expect(rows.map(cells)).toEqual([
      ['bob', '127.0.0.1:7401', '● reachable', 'last heard 2 s ago'],
      ['carol', '127.0.0.1:7402', '○ unreachable', 'never'],
    ]);
  });

  it('shows the note and no editing when the configuration is not editable', async () => {
    fake.configValue = { ...fake.configValue, editable: false, note: 'This node takes its configuration from the synod-node command line.' };
    setup();
    expect(await screen.findByText('This node takes its configuration from the synod-node command line.')).toBeTruthy();
    expect(screen.getByRole('table')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Apply and restart' })).toBeNull();
    expect(screen.queryByRole('textbox', { name: 'Peer id' })).toBeNull();
    expect(screen.queryByRole('textbox', { name: 'New cluster secret' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Show secret' })).toBeTruthy();
  });
});

describe('PeersPage: changing the configuration', () => {
  it('validates a new peer next to its fields', async () => {
    setup();
    const add = await screen.findByRole('button', { name: 'Add peer' });

    await fireEvent.click(add);
    expect(screen.getByText("Enter the peer's id.")).toBeTruthy();
    expect(field('Peer id').getAttribute('aria-invalid')).toBe('true');
    expect(field('Peer id').getAttribute('aria-describedby')).toBeTruthy();
    expect(document.getElementById(field('Peer id').getAttribute('aria-describedby')!)?.textContent).toBe("Enter the peer's id.");
    expect(document.activeElement).toBe(field('Peer id'));

    await fill('Peer id', 'alice');
    expect(screen.getByText(/alice is this node's own id/)).toBeTruthy();
    await fill('Peer id', 'bob');
    expect(screen.getByText('bob is already in the list.')).toBeTruthy();
    await fill('Peer id', 'not ok!');
    expect(screen.getByText(/1 to 32 letters/)).toBeTruthy();

    await fill('Peer id', 'dave');
    await fill('Peer address (host:port)', 'somewhere');
    expect(screen.getByText(/The address must be HOST:PORT/)).toBeTruthy();
    await fill('Peer address (host:port)', '10.0.0.4:99999');
    expect(screen.getByText(/ports go from 1 to 65535/)).toBeTruthy();
    await fill('Peer address (host:port)', '10.0.0.4:7400');
    expect(field('Peer address (host:port)').getAttribute('aria-invalid')).toBeNull();

    await fireEvent.click(add);
    const draft = screen.getByRole('list', { name: 'Peers to apply' });
    expect(within(draft).getByText('dave')).toBeTruthy();
    expect(field('Peer id').value).toBe('');
    expect(fake.callsOf('updateConfig')).toHaveLength(0);
  });

  it('applies added, edited and removed peers and a new name, then confirms the restart', async () => {
    const reply = deferred<NodeConfig>();
    fake.override.updateConfig = async (args, original) => {
      await reply.promise;
      return original(args);
    };
    setup();
    await screen.findByRole('button', { name: 'Add peer' });

    await fill('Peer id', 'dave');
    await fill('Peer address (host:port)', 'dave.local:7400');
    await fireEvent.click(screen.getByRole('button', { name: 'Add peer' }));

    await fireEvent.click(screen.getByRole('button', { name: 'Edit bob' }));
    expect(field('Peer id').value).toBe('bob');
    await fill('Peer address (host:port)', '10.0.0.2:7401');
    await fireEvent.click(screen.getByRole('button', { name: 'Save peer' }));

    await fireEvent.click(screen.getByRole('button', { name: 'Remove carol' }));
    await fill('Display name', '  Alice B  ');

    const apply = screen.getByRole('button', { name: 'Apply and restart' }) as HTMLButtonElement;
    await fireEvent.click(apply);
    expect(apply.disabled).toBe(true);
    expect(fake.callsOf('updateConfig')).toEqual([
      {
        name: 'Alice B',
        peers: [
          { id: 'bob', address: '10.0.0.2:7401' },
          { id: 'dave', address: 'dave.local:7400' },
        ],
      },
    ]);

    reply.resolve(fake.configValue);
    expect(await screen.findByText(/The replica restarted with the new configuration/)).toBeTruthy();
    expect(field('Display name').value).toBe('Alice B');
  });

  it('refuses to apply while a peer is half typed, or with nothing changed', async () => {
    setup();
    const apply = await screen.findByRole('button', { name: 'Apply and restart' });
    await fireEvent.click(apply);
    expect((await screen.findByRole('alert')).textContent).toBe('Nothing has changed yet.');

    await fill('Peer id', 'erin');
    await fireEvent.click(apply);
    expect(screen.getByRole('alert').textContent).toBe('Add the peer you are typing (or clear its fields) first.');
    expect(fake.callsOf('updateConfig')).toHaveLength(0);
  });

  it('shows a failed apply in words', async () => {
    fake.override.updateConfig = async () => {
      throw apiError({ code: 'invalid-argument', message: 'updateConfig: peer bob is listed twice' });
    };
    setup();
    await fireEvent.click(await screen.findByRole('button', { name: 'Remove carol' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Apply and restart' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The configuration was not changed: updateConfig: peer bob is listed twice');
  });

  it('sets a new cluster secret with a plain warning', async () => {
    setup();
    const secret = await screen.findByRole('textbox', { name: 'New cluster secret' });
    expect(document.getElementById(secret.getAttribute('aria-describedby')!.split(' ')[0]!)?.textContent?.replace(/\s+/g, ' ')).toMatch(/starts its history afresh: its old data is kept aside/);

    await fill('New cluster secret', 'short');
    expect(screen.getByText('A cluster secret has at least 8 characters.')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Apply and restart' }));
    expect(fake.callsOf('updateConfig')).toHaveLength(0);

    await fill('New cluster secret', 'another cluster secret');
    await fireEvent.click(screen.getByRole('button', { name: 'Apply and restart' }));
    await waitFor(() => expect(fake.callsOf('updateConfig')).toEqual([{ secret: 'another cluster secret' }]));
    expect(await screen.findByText(/fresh history; the old data was kept aside/)).toBeTruthy();
    expect(field('New cluster secret').value).toBe('');
  });
});

describe('PeersPage: the cluster secret', () => {
  it('is hidden until Show secret, and hides again', async () => {
    setup();
    expect(await screen.findByText('•••••')).toBeTruthy();
    expect(fake.callsOf('revealSecret')).toHaveLength(0);

    await fireEvent.click(screen.getByRole('button', { name: 'Show secret' }));
    expect((await screen.findByRole('textbox', { name: 'Cluster secret' }) as HTMLInputElement).value).toBe('correct horse battery staple');

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
