import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import type { NodeConfig } from '../../../shared/api';
import { apiError, FakeApi } from '../../../test/support/renderer/fake-api';
import { field, fill } from '../../../test/support/renderer/form';
import { renderConfigCard } from '../../../test/support/renderer/peers';
import PortCard from './PortCard.svelte';

let fake: FakeApi;
/** The configurations the card handed back to the page (each came back to it as its `config`). */
let saved: NodeConfig[];

function setup(config: NodeConfig | null = fake.configValue): void {
  saved = renderConfigCard(PortCard, fake, 'onsaved', config);
}

beforeEach(() => {
  fake = new FakeApi();
});

describe('the UDP port card', () => {
  it('shows the port to open, with how to open it on each system', () => {
    setup({ ...fake.configValue, port: 7400 });
    expect(screen.getByText(/Other machines reach this node on/).textContent).toMatch(/UDP port 7400/);
    expect(screen.getByText('How to open UDP port 7400')).toBeTruthy();
    expect(screen.getByText('sudo ufw allow 7400/udp')).toBeTruthy();
    expect(screen.getByText(/localport=7400/)).toBeTruthy();
    expect(field('Change the port').value).toBe('7400');
  });

  it('says plainly why the port is not 7400', () => {
    setup({ ...fake.configValue, port: 7401, portNote: 'UDP port 7400 was in use, so this node took 7401.' });
    expect(screen.getByText('UDP port 7400 was in use, so this node took 7401.')).toBeTruthy();
  });

  it('moves the node to another port and says what follows', async () => {
    setup();
    await fill('Change the port', ' 7410 ');
    await fireEvent.click(screen.getByRole('button', { name: 'Use this port' }));
    await waitFor(() => expect(fake.callsOf('updateConfig')).toEqual([{ port: 7410 }]));
    expect(await screen.findByText(/^Saved: this node now listens on UDP port 7410\. Its peers follow it within seconds/)).toBeTruthy();
    expect(saved.map((config) => config.port)).toEqual([7410]);
  });

  it('checks the port next to the field and shows what the node refused', async () => {
    setup();
    await fill('Change the port', '80');
    await fireEvent.click(screen.getByRole('button', { name: 'Use this port' }));
    expect(screen.getByText(/below 1024 need administrator rights/)).toBeTruthy();
    expect(field('Change the port').getAttribute('aria-invalid')).toBe('true');
    expect(fake.callsOf('updateConfig')).toEqual([]);

    await fill('Change the port', '7400');
    await fireEvent.click(screen.getByRole('button', { name: 'Use this port' }));
    expect(await screen.findByText('Nothing has changed: this node already listens on UDP port 7400.')).toBeTruthy();

    fake.override.updateConfig = async () => {
      throw apiError({ code: 'invalid-argument', message: 'The port was not changed: UDP port 7500 is in use by another program on this machine. Pick another one.' });
    };
    await fill('Change the port', '7500');
    await fireEvent.click(screen.getByRole('button', { name: 'Use this port' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/UDP port 7500 is in use by another program/);
    expect(saved).toEqual([]);
  });

  it('offers no form where the port comes from the command line', () => {
    setup({ ...fake.configValue, editable: false, note: 'This node takes its name and UDP port from the synod-node command line.' });
    expect(screen.queryByRole('textbox', { name: 'Change the port' })).toBeNull();
    expect(screen.getByText('How to open UDP port 7400')).toBeTruthy();
  });
});
