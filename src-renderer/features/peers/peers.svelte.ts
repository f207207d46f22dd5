/**
 * The Peers page's state: this node's configuration (its display name), the replicated members with
 * the removal of one (confirmed in the page, a second time when the cluster would stall), joining
 * another cluster (with an invite code, or members' addresses and the secret; with consent to discard
 * this node's own history), and the cluster secret, fetched only when the user asks to see or copy it.
 * The UDP port, the invite code and the clusters heard on the network have their own cards and states.
 *
 * Invariants: field errors show only after the user tried to submit, then follow the fields live;
 * at most one removal is being confirmed at a time; a forced removal or a join that discards history
 * is only ever sent after the user confirmed that consequence in words.
 */
import { ApiError, type NodeConfig } from '../../../shared/api';
import { decodeInviteCode } from '../../../shared/invite-code';
import { writeToClipboard } from '../../app/clipboard';
import { currentMembers, membersOf, pendingChangeOf, removalOutlook, type Member, type PendingChange, type RemovalOutlook } from '../../app/membership';
import { describeError, type Session } from '../../app/session.svelte';
import { contactAddresses, contactProblem, inviteCodeProblem, nameProblem, secretProblem } from './form-checks';

/**
 * A removal being confirmed. `confirm`: the plain "are you sure"; `stall`: the remaining reachable
 * members are no majority (the page saw it, or the node answered needs-confirmation), confirming
 * sends it with force.
 */
export interface Removal {
  readonly id: string;
  readonly step: 'confirm' | 'stall';
  /** The node's own words when it asked for consent, else null. */
  readonly reason: string | null;
}

export interface JoinProblems {
  readonly code: string | null;
  readonly address: string | null;
  readonly secret: string | null;
  readonly consent: string | null;
}

const NO_JOIN_PROBLEMS: JoinProblems = { code: null, address: null, secret: null, consent: null };

export class PeersState {
  config = $state.raw<NodeConfig | null>(null);
  loadError = $state<string | null>(null);

  /* The display name. */
  draftName = $state('');
  showNameError = $state(false);
  readonly nameError = $derived(this.showNameError ? nameProblem(this.draftName) : null);
  savingName = $state(false);
  nameSaveError = $state<string | null>(null);
  nameSaved = $state<string | null>(null);

  /* The members and removing one. */
  /** The replicated members (and pending joiners), this node first when it is one. */
  readonly members = $derived.by((): Member[] => {
    const status = this.session.status;
    return status === null ? [] : membersOf(status).filter((m) => m.standing !== 'outside');
  });
  readonly pending = $derived.by((): PendingChange | null => {
    const status = this.session.status;
    return status === null ? null : pendingChangeOf(status);
  });
  removal = $state.raw<Removal | null>(null);
  removing = $state(false);
  removeError = $state<string | null>(null);
  removed = $state<string | null>(null);

  /* Joining a cluster: with an invite code, or else with members' addresses and the secret. */
  joinCode = $state('');
  joinAddress = $state('');
  joinSecret = $state('');
  /** The user ticked "discard this node's history". */
  discardConsent = $state(false);
  showJoinErrors = $state(false);
  readonly joinErrors = $derived.by((): JoinProblems => {
    if (!this.showJoinErrors) return NO_JOIN_PROBLEMS;
    const withCode = this.joinCode.trim() !== '';
    return {
      code: withCode ? inviteCodeProblem(this.joinCode) : null,
      address: withCode ? null : contactProblem(this.joinAddress),
      secret: withCode ? null : secretProblem(this.joinSecret),
      consent: this.config?.hasHistory === true && !this.discardConsent ? "Tick the box to confirm that this node's own history may be discarded." : null,
    };
  });
  joinBusy = $state(false);
  /** The node asked for consent to discard history: its words, until the user confirms or cancels. */
  joinConfirm = $state<string | null>(null);
  joinError = $state<string | null>(null);
  joinStarted = $state<string | null>(null);

  /* The cluster secret. */
  secret = $state<string | null>(null);
  secretVisible = $state(false);
  secretBusy = $state(false);
  /** What happened to the last copy, in words. */
  secretMessage = $state<string | null>(null);
  secretError = $state<string | null>(null);

  constructor(private readonly session: Session) {}

  async load(): Promise<void> {
    try {
      this.#setConfig(await this.session.api.config());
      this.loadError = null;
    } catch (error) {
      this.loadError = `The configuration could not be loaded: ${describeError(error)}`;
    }
  }

  async saveName(): Promise<boolean> {
    const config = this.config;
    if (config === null || this.savingName) return false;
    this.showNameError = true;
    this.nameSaved = null;
    this.nameSaveError = null;
    if (nameProblem(this.draftName) !== null) return false;
    const name = this.draftName.trim();
    if (name === config.name) {
      this.nameSaved = 'Nothing has changed: that is already the name.';
      return true;
    }
    this.savingName = true;
    try {
      this.#setConfig(await this.session.api.updateConfig({ name }));
      this.nameSaved = `Saved: this node is now called ${name}.`;
      void this.session.refreshStatus();
      return true;
    } catch (error) {
      this.nameSaveError = `The name was not changed: ${describeError(error)}`;
      return false;
    } finally {
      this.savingName = false;
    }
  }

  /** Why `id` cannot be removed now, in words, or null when it can. */
  removeBlocked(id: string): string | null {
    const current = currentMembers(this.members);
    if (current.length === 1 && current[0]?.id === id) return `${id} is the last member: a cluster needs at least one.`;
    if (this.pending !== null) return `One change at a time: wait until slot ${this.pending.fromSlot}, when the pending change takes effect.`;
    return null;
  }

  /** What removing `id` would leave, as this node sees reachability now. */
  outlook(id: string): RemovalOutlook {
    return removalOutlook(this.members, id);
  }

  askRemove(id: string): void {
    if (this.removeBlocked(id) !== null) return;
    this.removal = { id, step: 'confirm', reason: null };
    this.removeError = null;
    this.removed = null;
  }

  cancelRemove(): void {
    this.removal = null;
  }

  /** The user confirmed the removal on screen: sends it, or asks again first when the cluster would stall. */
  async confirmRemove(): Promise<void> {
    const removal = this.removal;
    if (removal === null || this.removing) return;
    if (removal.step === 'confirm' && this.outlook(removal.id).stalls) {
      this.removal = { ...removal, step: 'stall' };
      return;
    }
    const force = removal.step === 'stall';
    this.removing = true;
    try {
      const receipt = await this.session.api.removeMember(force ? { id: removal.id, force: true } : { id: removal.id });
      this.removal = null;
      const who = removal.id === this.session.status?.id ? 'This node' : removal.id;
      this.removed = `${who} leaves the cluster at slot ${receipt.effectiveSlot}: the change was chosen at slot ${receipt.slot}.`;
      void this.session.refreshStatus();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'needs-confirmation' && !force) {
        this.removal = { ...removal, step: 'stall', reason: error.message };
      } else {
        this.removal = null;
        this.removeError = `${removal.id} was not removed: ${describeError(error)}`;
      }
    } finally {
      this.removing = false;
    }
  }

  /** Sends the join form; false when a field has a problem or the node refused. */
  async join(): Promise<boolean> {
    const config = this.config;
    // Not tied to `editable` (the display name): a headless node joins from its dashboard too.
    if (config === null || this.joinBusy) return false;
    this.showJoinErrors = true;
    this.joinError = null;
    this.joinStarted = null;
    this.joinConfirm = null;
    const errors = this.joinErrors;
    if (errors.code !== null || errors.address !== null || errors.secret !== null || errors.consent !== null) return false;
    return this.#sendJoin(config.hasHistory);
  }

  /** The user confirmed, after the node asked, that this node's history may be discarded. */
  async confirmJoin(): Promise<boolean> {
    if (this.joinConfirm === null || this.joinBusy) return false;
    return this.#sendJoin(true);
  }

  cancelJoin(): void {
    this.joinConfirm = null;
  }

  /** Members picked from the clusters heard on the network: their addresses go into the address field. */
  pickCluster(addresses: readonly string[]): void {
    this.joinAddress = addresses.join(', ');
    this.joinCode = '';
  }

  async #sendJoin(discardHistory: boolean): Promise<boolean> {
    const decoded = this.joinCode.trim() === '' ? null : decodeInviteCode(this.joinCode);
    if (decoded?.ok === false) return false;
    const addresses = decoded === null ? contactAddresses(this.joinAddress) : decoded.invite.addresses;
    const secret = decoded === null ? this.joinSecret : decoded.invite.secret;
    const address = addresses.length === 1 ? (addresses[0] as string) : addresses;
    this.joinBusy = true;
    try {
      this.#setConfig(await this.session.api.join(discardHistory ? { address, secret, discardHistory: true } : { address, secret }));
      this.joinConfirm = null;
      this.joinCode = '';
      this.joinSecret = '';
      this.discardConsent = false;
      this.showJoinErrors = false;
      // The secret changed: fetch the new one when asked.
      this.secret = null;
      this.secretVisible = false;
      this.joinStarted =
        addresses.length === 1
          ? `Asked ${addresses[0]} to add this node. Its progress shows below.`
          : `Asked the members at ${addresses.join(', ')} to add this node: whichever answers adds it. Its progress shows below.`;
      void this.session.refreshStatus();
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'needs-confirmation' && !discardHistory) {
        this.joinConfirm = error.message;
      } else {
        this.joinConfirm = null;
        this.joinError = `This node did not join: ${describeError(error)}`;
      }
      return false;
    } finally {
      this.joinBusy = false;
    }
  }

  async showSecret(): Promise<void> {
    if ((await this.#fetchSecret()) !== null) this.secretVisible = true;
  }

  hideSecret(): void {
    this.secretVisible = false;
  }

  /**
   * Copies the secret; where the clipboard refuses, shows the secret for the user to copy by hand.
   * Returns 'shown' then (the page selects it for them), 'copied', or 'failed' (the secret could not be fetched).
   */
  async copySecret(): Promise<'copied' | 'shown' | 'failed'> {
    this.secretMessage = null;
    const secret = await this.#fetchSecret();
    if (secret === null) return 'failed';
    if (await writeToClipboard(secret)) {
      this.secretMessage = 'The secret was copied to the clipboard.';
      return 'copied';
    }
    this.secretVisible = true;
    this.secretMessage = 'The clipboard is not available here: the secret is shown below, select and copy it.';
    return 'shown';
  }

  async #fetchSecret(): Promise<string | null> {
    if (this.secret !== null) return this.secret;
    this.secretBusy = true;
    this.secretError = null;
    try {
      this.secret = (await this.session.api.revealSecret()).secret;
      return this.secret;
    } catch (error) {
      this.secretError = `The secret could not be read: ${describeError(error)}`;
      return null;
    } finally {
      this.secretBusy = false;
    }
  }

  /** A configuration another card saved (the UDP port). */
  configSaved(config: NodeConfig): void {
    this.#setConfig(config);
  }

  #setConfig(config: NodeConfig): void {
    this.config = config;
    this.draftName = config.name;
    this.showNameError = false;
  }
}
