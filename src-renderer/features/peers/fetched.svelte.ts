/**
 * A value the Peers page reads from the node, and reads again when asked (the configuration, the
 * clusters heard on the network): the last value read, kept when a later read fails, and why the last
 * read failed, in words, until one works again.
 */
import { describeError } from '../../app/session.svelte';

export class Fetched<T> {
  /** Null until the node answered the first time. */
  value = $state.raw<T | null>(null);
  error = $state<string | null>(null);

  constructor(
    private readonly read: () => Promise<T>,
    /** What could not be had, said before the node's reason ("The configuration could not be loaded"). */
    private readonly failure: string,
  ) {}

  async load(): Promise<void> {
    try {
      this.value = await this.read();
      this.error = null;
    } catch (error) {
      this.error = `${this.failure}: ${describeError(error)}`;
    }
  }
}
