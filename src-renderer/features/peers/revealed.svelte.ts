/**
 * A value that must not sit on screen unasked (the cluster secret, an invite code that carries it): the
 * node gives it when the user shows or copies it, and it is shown only when asked or where the clipboard
 * refuses, for the user to copy by hand. The Cluster secret and Invite a machine cards hold one each.
 */
import { tick } from 'svelte';
import { writeToClipboard } from '../../app/clipboard';
import { describeError } from '../../app/session.svelte';

/** What the last copy did: `copied` to the clipboard, or `shown` for the user to copy by hand where the clipboard refused. */
export type CopyOutcome = 'copied' | 'shown';

/** The last copy in words; `what` names the value ("the secret"). */
export function describeCopy(what: string, outcome: CopyOutcome): string {
  return outcome === 'copied'
    ? `${what.charAt(0).toUpperCase()}${what.slice(1)} was copied to the clipboard.`
    : `The clipboard is not available here: ${what} is shown below, select and copy it.`;
}

export interface RevealedOptions<T> {
  /** Asks the node for the value. */
  readonly fetch: () => Promise<T>;
  /** What a copy puts on the clipboard. */
  readonly text: (value: T) => string;
  /** What could not be had, said before the node's reason ("No invite code"). */
  readonly failure: string;
  /**
   * Ask the node afresh for each show or copy, and forget the value when hidden: for a value that goes
   * stale (an invite code lists the members). Otherwise it is asked for once.
   */
  readonly fresh: boolean;
}

export class RevealedValue<T> {
  /** Null until the node gave it (and, for a fresh value, again once hidden). */
  value = $state.raw<T | null>(null);
  visible = $state(false);
  busy = $state(false);
  error = $state<string | null>(null);
  copied = $state<CopyOutcome | null>(null);

  constructor(private readonly options: RevealedOptions<T>) {}

  async show(): Promise<void> {
    if ((await this.#fetch()) !== null) this.visible = true;
  }

  /** Hides the value, and what the last copy said about it. */
  hide(): void {
    this.visible = false;
    this.copied = null;
    if (this.options.fresh) this.value = null;
  }

  /**
   * Copies the value; where the clipboard refuses, shows it instead and selects it in the card's `field`
   * (there once shown), for the user to copy by hand.
   */
  async copy(field: () => HTMLInputElement | HTMLTextAreaElement | null): Promise<void> {
    this.copied = null;
    const value = await this.#fetch();
    if (value === null) return;
    if (await writeToClipboard(this.options.text(value))) {
      this.copied = 'copied';
      return;
    }
    this.visible = true;
    this.copied = 'shown';
    await tick();
    field()?.focus();
    field()?.select();
  }

  async #fetch(): Promise<T | null> {
    if (this.value !== null && !this.options.fresh) return this.value;
    this.busy = true;
    this.error = null;
    try {
      this.value = await this.options.fetch();
      return this.value;
    } catch (error) {
      this.error = `${this.options.failure}: ${describeError(error)}`;
      return null;
    } finally {
      this.busy = false;
    }
  }
}
