/**
 * The Peers page's state: this node's configuration, a draft of the changes the user is making (name,
 * member list, new cluster secret) that "Apply and restart" sends in one updateConfig, and the cluster
 * secret, fetched only when the user asks to see or copy it.
 *
 * Invariants: the draft starts as (and after a successful apply, becomes) the node's configuration;
 * errors are shown only after the user tried to submit, then follow the fields live.
 */
import type { ConfigUpdate, NodeConfig, PeerConfig } from '../../../shared/api';
import { describeError, type Session } from '../../app/session.svelte';
import { MAX_PEERS, nameProblem, peerProblems, secretProblem, type PeerProblems } from './peer-form';

const NO_PROBLEMS: PeerProblems = { id: null, address: null };

function samePeers(a: readonly PeerConfig[], b: readonly PeerConfig[]): boolean {
  return a.length === b.length && a.every((peer, i) => peer.id === b[i]?.id && peer.address === b[i]?.address);
}

export class PeersState {
  config = $state.raw<NodeConfig | null>(null);
  loadError = $state<string | null>(null);

  draftName = $state('');
  draftPeers = $state.raw<readonly PeerConfig[]>([]);
  newSecret = $state('');
  readonly nameError = $derived(nameProblem(this.draftName));
  readonly newSecretError = $derived(this.newSecret === '' ? null : secretProblem(this.newSecret));
  readonly dirty = $derived(
    this.config !== null && (this.draftName.trim() !== this.config.name || !samePeers(this.draftPeers, this.config.peers) || this.newSecret !== ''),
  );

  /** The add/edit peer form. */
  peerId = $state('');
  peerAddress = $state('');
  /** The id of the draft peer being edited, or null when the form adds one. */
  editing = $state<string | null>(null);
  showPeerErrors = $state(false);
  readonly peerErrors = $derived.by((): PeerProblems => {
    if (!this.showPeerErrors || this.config === null) return NO_PROBLEMS;
    const otherIds = this.draftPeers.map((peer) => peer.id).filter((id) => id !== this.editing);
    return peerProblems(this.peerId, this.peerAddress, { selfId: this.config.id, otherIds });
  });
  peerFormError = $state<string | null>(null);

  applying = $state(false);
  applyError = $state<string | null>(null);
  applied = $state<string | null>(null);

  secret = $state<string | null>(null);
  secretVisible = $state(false);
  secretBusy = $state(false);
  /** What happened to the last copy, in words. */
  secretMessage = $state<string | null>(null);
  secretError = $state<string | null>(null);

  constructor(private readonly session: Session) {}

  async load(): Promise<void> {
    try {
      this.#reset(await this.session.api.config());
      this.loadError = null;
    } catch (error) {
      this.loadError = `The configuration could not be loaded: ${describeError(error)}`;
    }
  }

  editPeer(id: string): void {
    const peer = this.draftPeers.find((p) => p.id === id);
    if (peer === undefined) return;
    this.editing = id;
    this.peerId = peer.id;
    this.peerAddress = peer.address;
    this.showPeerErrors = false;
    this.peerFormError = null;
  }

  cancelEdit(): void {
    this.editing = null;
    this.peerId = '';
    this.peerAddress = '';
    this.showPeerErrors = false;
    this.peerFormError = null;
  }

  removePeer(id: string): void {
    this.draftPeers = this.draftPeers.filter((peer) => peer.id !== id);
    if (this.editing === id) this.cancelEdit();
    this.applied = null;
  }

  /** Adds the peer in the form to the draft (or saves the one being edited); false when it has problems. */
  savePeer(): boolean {
    this.showPeerErrors = true;
    this.peerFormError = null;
    const errors = this.peerErrors;
    if (errors.id !== null || errors.address !== null) return false;
    const peer: PeerConfig = { id: this.peerId.trim(), address: this.peerAddress.trim() };
    if (this.editing === null) {
      if (this.draftPeers.length >= MAX_PEERS) {
        this.peerFormError = `A cluster has at most ${MAX_PEERS + 1} members: remove a peer first.`;
        return false;
      }
      this.draftPeers = [...this.draftPeers, peer];
    } else {
      const editing = this.editing;
      this.draftPeers = this.draftPeers.map((p) => (p.id === editing ? peer : p));
    }
    this.cancelEdit();
    this.applied = null;
    return true;
  }

  /** Sends the draft's changes; the node saves them and restarts its replica. */
  async apply(): Promise<boolean> {
    const config = this.config;
    if (config === null || this.applying) return false;
    this.applied = null;
    this.applyError = null;
    if (this.peerId.trim() !== '' || this.peerAddress.trim() !== '') {
      this.applyError = this.editing === null ? 'Add the peer you are typing (or clear its fields) first.' : `Save or cancel your changes to ${this.editing} first.`;
      return false;
    }
    if (this.nameError !== null || this.newSecretError !== null) {
      this.applyError = 'Correct the fields marked above first.';
      return false;
    }
    const name = this.draftName.trim();
    const update: { -readonly [K in keyof ConfigUpdate]: ConfigUpdate[K] } = {};
    if (name !== config.name) update.name = name;
    if (!samePeers(this.draftPeers, config.peers)) update.peers = this.draftPeers;
    if (this.newSecret !== '') update.secret = this.newSecret;
    if (Object.keys(update).length === 0) {
      this.applyError = 'Nothing has changed yet.';
      return false;
    }
    this.applying = true;
    try {
      const next = await this.session.api.updateConfig(update);
      this.#reset(next);
      if (update.secret !== undefined) this.secret = null;
      this.secretVisible = false;
      this.applied =
        update.secret === undefined
          ? 'Saved. The replica restarted with the new configuration; nothing acknowledged was lost.'
          : 'Saved. The replica restarted in the cluster of the new secret, with a fresh history; the old data was kept aside.';
      void this.session.refreshStatus();
      return true;
    } catch (error) {
      this.applyError = `The configuration was not changed: ${describeError(error)}`;
      return false;
    } finally {
      this.applying = false;
    }
  }

  async showSecret(): Promise<void> {
    if ((await this.#fetchSecret()) !== null) this.secretVisible = true;
  }

  hideSecret(): void {
    this.secretVisible = false;
  }

  /** Copies the secret; where the clipboard refuses, shows the secret for the user to copy by hand. */
  async copySecret(): Promise<void> {
    this.secretMessage = null;
    const secret = await this.#fetchSecret();
    if (secret === null) return;
    try {
      if (typeof navigator.clipboard?.writeText !== 'function') throw new Error('no clipboard');
      await navigator.clipboard.writeText(secret);
      this.secretMessage = 'The secret was copied to the clipboard.';
    } catch {
      this.secretVisible = true;
      this.secretMessage = 'The clipboard is not available here: the secret is shown below, select and copy it.';
    }
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

  #reset(config: NodeConfig): void {
    this.config = config;
    this.draftName = config.name;
    this.draftPeers = config.peers;
    this.newSecret = '';
    this.cancelEdit();
  }
}
