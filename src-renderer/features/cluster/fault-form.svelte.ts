/**
 * The fault-injection form: what is in effect at the node, what the user is about to apply, and the
 * calls that change it. Every fault is reversible; "Heal all" clears them all at once.
 */
import type { Faults, SynodApi } from '../../../shared/api';
import { describeError } from '../../app/session.svelte';

export const MAX_DELAY_MS = 10_000;
export const NO_FAULTS: Faults = { dropRate: 0, delayMs: 0, isolate: [] };

export class FaultForm {
  /** The faults in effect at the node, as it last said; null until known. */
  current = $state.raw<Faults | null>(null);
  /** 0..100. */
  dropPercent = $state(0);
  /** Whatever is in the number input (undefined or null when it is empty). */
  delayMs = $state<number | null | undefined>(0);
  isolate = $state.raw<readonly string[]>([]);
  busy = $state(false);
  /** What went wrong, in words. */
  error = $state<string | null>(null);

  readonly #api: () => SynodApi;

  constructor(api: () => SynodApi) {
    this.#api = api;
  }

  readonly delayError = $derived.by(() => {
    const delay = this.delayMs;
    if (delay === null || delay === undefined) return 'Enter an extra delay in milliseconds (0 for none).';
    if (!Number.isInteger(delay) || delay < 0 || delay > MAX_DELAY_MS) return `The extra delay must be a whole number of milliseconds from 0 to ${MAX_DELAY_MS.toLocaleString()}.`;
    return null;
  });

  async load(): Promise<void> {
    try {
      this.#show(await this.#api().faults());
    } catch (error) {
      this.error = `Could not read the faults in effect: ${describeError(error)}`;
    }
  }

  setIsolated(peer: string, isolated: boolean): void {
    const others = this.isolate.filter((id) => id !== peer);
    this.isolate = isolated ? [...others, peer] : others;
  }

  async apply(): Promise<void> {
    if (this.delayError !== null) {
      this.error = this.delayError;
      return;
    }
    await this.#submit({ dropRate: Math.min(100, Math.max(0, Math.round(this.dropPercent))) / 100, delayMs: this.delayMs ?? 0, isolate: [...this.isolate] });
  }

  async healAll(): Promise<void> {
    await this.#submit({ dropRate: 0, delayMs: 0, isolate: [] });
  }

  async #submit(faults: Faults): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      this.#show(await this.#api().setFaults(faults));
    } catch (error) {
      this.error = `The faults were not changed: ${describeError(error)}`;
    } finally {
      this.busy = false;
    }
  }

  #show(faults: Faults): void {
    this.current = faults;
    this.dropPercent = Math.round(faults.dropRate * 100);
    this.delayMs = faults.delayMs;
    this.isolate = faults.isolate;
  }
}

/** The faults in effect, one line each; empty when there are none. */
export function describeFaults(faults: Faults): string[] {
  const lines: string[] = [];
  if (faults.dropRate > 0) lines.push(`Dropping ${Math.round(faults.dropRate * 100)} % of messages, in and out.`);
  if (faults.delayMs > 0) lines.push(`Delaying every outgoing message by ${faults.delayMs.toLocaleString()} ms.`);
  if (faults.isolate.length > 0) lines.push(`Isolated from ${faults.isolate.join(', ')}: no messages to or from ${faults.isolate.length === 1 ? 'it' : 'them'}.`);
  return lines;
}
