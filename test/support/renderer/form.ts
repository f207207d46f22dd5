/** Form helpers for component tests: find a text field by its accessible name, and type into it. */
import { fireEvent, screen } from '@testing-library/svelte';

export function field(name: string | RegExp): HTMLInputElement {
  return screen.getByRole('textbox', { name }) as HTMLInputElement;
}

export async function fill(name: string | RegExp, value: string): Promise<void> {
  await fireEvent.input(field(name), { target: { value } });
}
