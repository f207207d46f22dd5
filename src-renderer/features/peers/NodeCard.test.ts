import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import type { NodeConfig } from '../../../shared/api';
import { apiError, BOB, FakeApi, makeMembership, makeStatus } from '../../../test/support/renderer/fake-api';
import { field, fill } from '../../../test/support/renderer/form';
import { renderConfigCard } from '../../../test/support/renderer/peers';
import NodeCard from './NodeCard.svelte';

let fake: FakeApi;
/** The configurations the card handed back to the page (each came back to it as its `config`). */
let saved: NodeConfig[];

function setup(config: NodeConfig | null = fake.configValue): void {
  saved = renderConfigCard(NodeCard, fake, 'onsaved', config);
}

function fact(term: string): string | null | undefined {
  return screen.getByText(term).nextElementSibling?.textContent;
}

beforeEach(() => {
  fake = new FakeApi();
});

describe('NodeCard: this node', () => {
  it('shows who this node is and where it stands', async () => {
    setup();
    await waitFor(() => expect(fact('Membership')).toBe('member'));
    expect(fact('Id')).toBe('alice');
    expect(fact('Name')).toBe('Alice');
    expect(fact('UDP address')).toBe('127.0.0.1:7400');
  });

  it('says when this node is outside the configuration it knows', async () => {
    fake.statusValue = makeStatus({ membership: makeMembership('alice', [BOB]) });
    setup();
    await waitFor(() => expect(fact('Membership')).toBe('not a member'));
  });

  it('waits for the status and the configuration before saying anything', () => {
    fake.override.status = () => new Promise(() => {});
    setup(null);
    expect(fact('Id')).toBe('…');
    expect(fact('Membership')).toBe('…');
    expect(screen.queryByRole('textbox', { name: 'Display name' })).toBeNull();
  });
});

describe('NodeCard: the display name', () => {
  it('saves a new name with updateConfig', async () => {
    const release = fake.hold('updateConfig');
    setup();
    await waitFor(() => expect(field('Display name').value).toBe('Alice'));
    await fill('Display name', '  Alice B  ');
    const save = screen.getByRole('button', { name: 'Save name' }) as HTMLButtonElement;
    await fireEvent.click(save);
    expect(save.disabled).toBe(true);
    expect(fake.callsOf('updateConfig')).toEqual([{ name: 'Alice B' }]);

    release();
    expect(await screen.findByText('Saved: this node is now called Alice B.')).toBeTruthy();
    expect(field('Display name').value).toBe('Alice B');
    expect(saved.map((config) => config.name)).toEqual(['Alice B']);
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

  it('says when nothing changed, and shows a refusal in an alert', async () => {
    setup();
    await waitFor(() => expect(field('Display name').value).toBe('Alice'));
    await fireEvent.click(screen.getByRole('button', { name: 'Save name' }));
    expect(await screen.findByText('Nothing has changed: that is already the name.')).toBeTruthy();
    expect(fake.callsOf('updateConfig')).toHaveLength(0);

    fake.override.updateConfig = async () => {
      throw apiError({ code: 'internal', message: 'The disk is full.' });
    };
    await fill('Display name', 'Alice B');
    await fireEvent.click(screen.getByRole('button', { name: 'Save name' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The name was not changed: The disk is full.');
    expect(screen.queryByText('Nothing has changed: that is already the name.')).toBeNull();
    expect(saved).toEqual([]);
  });
});
