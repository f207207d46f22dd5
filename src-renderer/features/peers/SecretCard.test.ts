import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { stubClipboard } from '../../../test/support/renderer/clipboard';
import { apiError, FakeApi } from '../../../test/support/renderer/fake-api';
import { renderOnSession } from '../../../test/support/renderer/session';
import SecretCard from './SecretCard.svelte';

let fake: FakeApi;

function setup() {
  return renderOnSession(SecretCard, fake, {});
}

beforeEach(() => {
  fake = new FakeApi();
});

describe('SecretCard: the cluster secret', () => {
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

  it('fetches the secret once, however often it is shown or copied', async () => {
    stubClipboard(vi.fn(async (_text: string) => {}));
    setup();
    await fireEvent.click(screen.getByRole('button', { name: 'Show secret' }));
    await screen.findByRole('textbox', { name: 'Cluster secret' });
    await fireEvent.click(screen.getByRole('button', { name: 'Hide secret' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Copy secret' }));
    expect(await screen.findByText('The secret was copied to the clipboard.')).toBeTruthy();
    expect(fake.callsOf('revealSecret')).toHaveLength(1);
  });

  it('says why when the node does not give the secret, and shows nothing', async () => {
    fake.override.revealSecret = async () => {
      throw apiError({ code: 'unavailable', message: 'The node is shutting down.' });
    };
    setup();
    await fireEvent.click(screen.getByRole('button', { name: 'Copy secret' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The secret could not be read: The node is shutting down.');
    expect(screen.queryByText(/copied to the clipboard|select and copy it/)).toBeNull();
    expect(screen.queryByRole('textbox', { name: 'Cluster secret' })).toBeNull();
  });
});
