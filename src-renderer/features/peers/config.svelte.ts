/**
 * The node's configuration as the Peers page knows it, shared by its cards: the name card, the port
 * card and the join card each read it, and each hands back the configuration the node answered after
 * it changed something. One copy, so that a card never shows what another card already replaced.
 */
import type { NodeConfig } from '../../../shared/api';
import { describeError, type Session } from '../../app/session.svelte';

export class ConfigState {
  /** Null until the node answered the first time. */
  config = $state.raw<NodeConfig | null>(null);
  loadError = $state<string | null>(null);

  constructor(private readonly session: Session) {}

  async load(): Promise<void> {
    try {
      this.config = await this.session.api.config();
      this.loadError = null;
    } catch (error) {
      this.loadError = `The configuration could not be loaded: ${describeError(error)}`;
    }
  }

  /** The configuration a card's change left the node with. */
  saved(config: NodeConfig): void {
    this.config = config;
  }
}
