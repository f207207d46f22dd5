/**
 * Pages that show applied state (timeline, users) reload when slots are chosen. Call during component
 * initialisation: `load` runs once at once, then at most once per `delayMs` while
 * `session.chosenVersion` keeps rising (a burst of chosen events costs one reload, and a steady
 * stream still reloads every `delayMs`). The pending timer is cleared when the component goes away.
 */
import { untrack } from 'svelte';
import type { Session } from './session.svelte';

export const RELOAD_DELAY_MS = 100;

export function reloadOnChosen(session: Session, load: () => void, delayMs: number = RELOAD_DELAY_MS): void {
  let seen: number | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  $effect(() => {
    const version = session.chosenVersion;
    if (seen === null) {
      seen = version;
      untrack(load);
      return;
    }
    if (version === seen) return;
    seen = version;
    timer ??= setTimeout(() => {
      timer = undefined;
      load();
    }, delayMs);
  });

  $effect(() => () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  });
}
