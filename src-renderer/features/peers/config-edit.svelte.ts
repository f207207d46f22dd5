/**
 * One setting of the node's configuration changed from the Peers page (the display name, the UDP port;
 * the desktop app only: a headless node takes both from its command line): the draft in its field, the
 * draft's problem, and saving it with updateConfig.
 *
 * Invariant: the field's problem shows only after the user tried to save, then follows the field live.
 */
import type { ConfigUpdate, NodeConfig } from '../../../shared/api';
import { describeError, type Session } from '../../app/session.svelte';

/** What the last save did; the card puts it in words. `value`: the setting as saved, or as it already was. */
export type SaveOutcome<V> =
  | { readonly kind: 'unchanged'; readonly value: V }
  | { readonly kind: 'saved'; readonly value: V }
  | { readonly kind: 'failed'; readonly reason: string };

/** How one setting reads, checks and writes. */
export interface ConfigSetting<V> {
  /** The setting in a configuration. */
  readonly current: (config: NodeConfig) => V;
  /** Why a draft cannot be saved, in words, or null. */
  readonly problem: (draft: string) => string | null;
  /** A draft without a problem as the setting's value. */
  readonly parse: (draft: string) => V;
  readonly update: (value: V) => ConfigUpdate;
}

export class ConfigEdit<V> {
  draft = $state('');
  showError = $state(false);
  readonly error = $derived.by(() => (this.showError ? this.setting.problem(this.draft) : null));
  saving = $state(false);
  outcome = $state.raw<SaveOutcome<V> | null>(null);

  constructor(
    private readonly session: Session,
    private readonly setting: ConfigSetting<V>,
  ) {}

  /** Shows the setting in the field as `config` has it: as the node has it now. */
  reset(config: NodeConfig): void {
    this.draft = String(this.setting.current(config));
    this.showError = false;
  }

  /** Saves the draft over `config`; the node's new configuration, or null when nothing was saved. */
  async save(config: NodeConfig): Promise<NodeConfig | null> {
    if (this.saving) return null;
    this.showError = true;
    this.outcome = null;
    if (this.setting.problem(this.draft) !== null) return null;
    const value = this.setting.parse(this.draft);
    if (value === this.setting.current(config)) {
      this.outcome = { kind: 'unchanged', value };
      return null;
    }
    this.saving = true;
    try {
      const updated = await this.session.api.updateConfig(this.setting.update(value));
      this.outcome = { kind: 'saved', value };
      void this.session.refreshStatus();
      return updated;
    } catch (error) {
      this.outcome = { kind: 'failed', reason: describeError(error) };
      return null;
    } finally {
      this.saving = false;
    }
  }
}
