/** What the tests of the Peers page and of its cards look for, and how the page hands them its configuration. */
import { screen, within } from '@testing-library/svelte';
import type { Component } from 'svelte';
import type { NodeConfig } from '../../../shared/api';
import type { Session } from '../../../src-renderer/app/session.svelte';
import type { FakeApi } from './fake-api';
import { renderOnSession } from './session';
import { tableRows } from './table';

export function membersTable(): HTMLElement {
  return screen.getByRole('table', { name: 'The members of the cluster' });
}

/** The members table's rows below its header, each as the text of its cells. */
export function memberRows(): string[][] {
  return tableRows(membersTable());
}

export function removeButton(id: string): HTMLButtonElement {
  return within(membersTable()).getByRole('button', { name: `Remove ${id}` }) as HTMLButtonElement;
}

/** The join card's live region that says where the join stands (the progress list has its own). */
export function joinMessage(): HTMLElement {
  const region = screen.getAllByRole('status').find((candidate) => candidate.classList.contains('join-message'));
  if (region === undefined) throw new Error('no join progress message on the page');
  return region;
}

type ConfigCardProps<R extends string> = { session: Session; config: NodeConfig | null } & { [K in R]: (config: NodeConfig) => void };

/**
 * Renders a card that changes the node's configuration as PeersPage does: the configuration it hands
 * back (through `report`: its onsaved or onjoined) comes back to it as its `config`. Returns the list of
 * what it handed back, filled as the test goes.
 */
export function renderConfigCard<R extends 'onsaved' | 'onjoined'>(component: Component<ConfigCardProps<R>>, fake: FakeApi, report: R, config: NodeConfig | null): NodeConfig[] {
  const reported: NodeConfig[] = [];
  const onreport = (updated: NodeConfig): void => {
    reported.push(updated);
    void view.rerender({ config: updated } as Partial<ConfigCardProps<R>>);
  };
  const view = renderOnSession(component, fake, { config, [report]: onreport } as Omit<ConfigCardProps<R>, 'session'>);
  return reported;
}
