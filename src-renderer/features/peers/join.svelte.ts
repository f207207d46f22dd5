/**
 * The "Join a cluster" card's state: the form (an invite code, or members' addresses and the cluster's
 * secret; consent to discard this node's history when it holds any), what the last attempt came to, and
 * whether the form is shown at all: once a join reached Member it gives way to a confirmation, until the
 * user asks to join another cluster.
 *
 * When history is discarded (NodeHost.join): every join starts the node afresh on a new data directory
 * and sets the old one aside, so whatever this node held is gone from it. The node refuses without
 * consent when it holds history of its own or is a member of a cluster with others. The form warns and
 * asks for the consent up front only in the first case: the configuration says the node holds history,
 * and it is not a member of a cluster with others (whose history is the cluster's, not its own: after a
 * join reached Member, say). The node's refusal covers the rest: the card then asks in a confirmation,
 * with the node's words.
 *
 * Invariants: field errors show only after the user tried to submit, then follow the fields live; a join
 * that discards history is only ever sent after the user consented to it in words.
 */
import { ApiError, type JoinStage, type NodeConfig } from '../../../shared/api';
import { decodeInviteCode } from '../../../shared/invite-code';
import { describeError, type Session } from '../../app/session.svelte';
import { contactAddresses, contactProblem, inviteCodeProblem, secretProblem } from './form-checks';

/** The form's inputs that can have a problem, in the order the card shows them (focus goes to the first). */
export type JoinField = 'code' | 'address' | 'secret' | 'consent';

export type JoinProblems = { readonly [F in JoinField]: string | null };

const NO_PROBLEMS: JoinProblems = { code: null, address: null, secret: null, consent: null };
const FIELDS: readonly JoinField[] = ['code', 'address', 'secret', 'consent'];

/** What the last attempt came to; the card puts it in words. */
export type JoinOutcome =
  /** The node refused without consent to discard what it holds: its words, until the user confirms or cancels. */
  | { readonly kind: 'needs-consent'; readonly reason: string }
  /** The node took the request and asks these members to add it; the progress shows in the status. */
  | { readonly kind: 'sent'; readonly addresses: readonly string[] }
  | { readonly kind: 'failed'; readonly reason: string };

export class JoinState {
  code = $state('');
  address = $state('');
  secret = $state('');
  /** The user ticked "discard this node's own history and join". */
  discardConsent = $state(false);
  showProblems = $state(false);
  busy = $state(false);
  outcome = $state.raw<JoinOutcome | null>(null);
  /** The name of the cluster picked from those heard on the network, until a join is sent. */
  picked = $state<string | null>(null);
  /** The user asked for the form again after a join reached Member; cleared once a join is under way again. */
  another = $state(false);

  /** Whether the form warns and asks for consent first: the node holds history of its own (see above). */
  readonly discardsHistory = $derived.by(() => {
    const membership = this.session.status?.membership;
    // Not before the status says whose history it is: the node's refusal covers that moment.
    if (membership === undefined || this.config()?.hasHistory !== true) return false;
    const sharedWithOthers = membership.isMember && (membership.members?.length ?? 0) > 1;
    return !sharedWithOthers;
  });

  readonly problems = $derived.by((): JoinProblems => {
    if (!this.showProblems) return NO_PROBLEMS;
    // An invite code carries the addresses and the secret: with one, those two fields are not needed.
    const withCode = this.code.trim() !== '';
    return {
      code: withCode ? inviteCodeProblem(this.code) : null,
      address: withCode ? null : contactProblem(this.address),
      secret: withCode ? null : secretProblem(this.secret),
      consent: this.discardsHistory && !this.discardConsent ? "Tick the box to confirm that this node's own history may be discarded." : null,
    };
  });

  /** The first field with a problem, where the card puts the focus; null when the form is fine. */
  readonly firstProblem = $derived(FIELDS.find((field) => this.problems[field] !== null) ?? null);

  /** This node finished a join: it is a member of the cluster it joined. */
  readonly joined = $derived.by(() => this.session.status?.membership.joining?.stage === 'member');

  /** The form, or (after a join reached Member) the confirmation in its place. */
  readonly formShown = $derived(!this.joined || this.another);

  constructor(
    private readonly session: Session,
    /** The page's copy of the configuration (null until loaded). */
    private readonly config: () => NodeConfig | null,
  ) {}

  /** Sends the form; the node's new configuration, or null when a field has a problem or the node refused. */
  async join(): Promise<NodeConfig | null> {
    const config = this.config();
    // Not tied to `editable` (the display name): a headless node joins from its dashboard too.
    if (config === null || this.busy) return null;
    this.showProblems = true;
    this.outcome = null;
    if (this.firstProblem !== null) return null;
    // Consent given with the form (no problem left: ticked wherever it was asked for), never otherwise.
    return this.#send(this.discardsHistory);
  }

  /** The user confirmed, after the node asked, that this node's history may be discarded. */
  async confirmJoin(): Promise<NodeConfig | null> {
    if (this.outcome?.kind !== 'needs-consent' || this.busy) return null;
    return this.#send(true);
  }

  cancelJoin(): void {
    if (this.outcome?.kind === 'needs-consent') this.outcome = null;
  }

  /**
   * Members picked from the clusters heard on the network: their addresses go into the address field.
   * After a join reached Member this brings the form back, as Join another cluster does; during a join
   * it leaves alone what is under way (the form then still gives way when that join reaches Member).
   */
  pick(addresses: readonly string[], label: string): void {
    if (!this.formShown) this.joinAnother();
    this.address = addresses.join(', ');
    this.code = '';
    this.picked = label;
  }

  /** Shows the form again after a join reached Member, without what it said about that join. */
  joinAnother(): void {
    this.another = true;
    this.outcome = null;
    this.showProblems = false;
  }

  /** Follows the join progress in the status: a join under way again ends the "another" request. */
  followStage(stage: JoinStage | null): void {
    if (stage !== 'member') this.another = false;
  }

  async #send(discardHistory: boolean): Promise<NodeConfig | null> {
    const decoded = this.code.trim() === '' ? null : decodeInviteCode(this.code);
    if (decoded?.ok === false) return null;
    const addresses = decoded === null ? contactAddresses(this.address) : decoded.invite.addresses;
    const secret = decoded === null ? this.secret : decoded.invite.secret;
    const address = addresses.length === 1 ? (addresses[0] as string) : addresses;
    this.busy = true;
    try {
      const config = await this.session.api.join(discardHistory ? { address, secret, discardHistory: true } : { address, secret });
      this.code = '';
      this.secret = '';
      this.discardConsent = false;
      this.showProblems = false;
      this.picked = null;
      this.outcome = { kind: 'sent', addresses };
      void this.session.refreshStatus();
      return config;
    } catch (error) {
      this.outcome =
        error instanceof ApiError && error.code === 'needs-confirmation' && !discardHistory
          ? { kind: 'needs-consent', reason: error.message }
          : { kind: 'failed', reason: describeError(error) };
      return null;
    } finally {
      this.busy = false;
    }
  }
}
