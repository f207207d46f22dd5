/**
 * The node's configuration as the Peers page knows it, shared by its cards: the name card, the port
 * card and the join card each read it, and each hands back the configuration the node answered after
 * it changed something. One copy, so that a card never shows what another card already replaced.
 */
import type { NodeConfig } from '../../../shared/api';
import type { Session } from '../../app/session.svelte';
import { Fetched } from './fetched.svelte';

export class ConfigState extends Fetched<NodeConfig> {
  constructor(session: Session) {
    super(() => session.api.config(), 'The configuration could not be loaded');
  }

  /** The configuration a card's change left the node with. */
  saved(config: NodeConfig): void {
    this.value = config;
  }
}
