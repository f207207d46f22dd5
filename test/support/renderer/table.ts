/** A table as a test reads it. */
import { within } from '@testing-library/svelte';
import { text } from './text';

/** The table's rows below its header, each as the text of its cells (header cells included). */
export function tableRows(table: HTMLElement): string[][] {
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((row) => [...row.querySelectorAll('th, td')].map((cell) => text(cell)));
}
