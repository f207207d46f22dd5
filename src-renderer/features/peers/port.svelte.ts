/**
 * The UDP port card's state: changing the port this node listens on (the desktop app only; a headless
 * node takes it from its command line). Field errors show only after the user tried to save, then
 * follow the field live.
 */
import type { NodeConfig } from '../../../shared/api';
import { describeError, type Session } from '../../app/session.svelte';
import { portProblem } from './form-checks';

export class PortState {
  draft = $state('');
  showError = $state(false);
  readonly error = $derived(this.showError ? portProblem(this.draft) : null);
  saving = $state(false);
  saveError = $state<string | null>(null);
  saved = $state<string | null>(null);

  constructor(private readonly session: Session) {}

  /** Shows `port` in the field, as the node has it now. */
  reset(port: number): void {
    this.draft = String(port);
    this.showError = false;
  }

  /** Moves the node to the typed port; the new configuration, or null when nothing was saved. */
  async save(config: NodeConfig): Promise<NodeConfig | null> {
    if (this.saving) return null;
    this.showError = true;
    this.saved = null;
    this.saveError = null;
    if (portProblem(this.draft) !== null) return null;
    const port = Number(this.draft.trim());
    if (port === config.port) {
      this.saved = `Nothing has changed: this node already listens on UDP port ${port}.`;
      return null;
    }
    this.saving = true;
    try {
      const updated = await this.session.api.updateConfig({ port });
      this.saved = `Saved: this node now listens on UDP port ${port}. Its peers follow it within seconds; open ${port} in this computer's firewall.`;
      void this.session.refreshStatus();
      return updated;
    } catch (error) {
      this.saveError = `The port was not changed: ${describeError(error)}`;
      return null;
    } finally {
      this.saving = false;
    }
  }
}
