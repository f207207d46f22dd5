/**
 * The "Invite a machine" card's state: the invite code (members' addresses and the secret, in one
 * string) fetched only when the user asks to see or copy it, fetched afresh each time (the members and
 * their addresses change), and forgotten when hidden.
 */
import type { InviteCode } from '../../../shared/api';
import { writeToClipboard } from '../../app/clipboard';
import { describeError, type Session } from '../../app/session.svelte';

export class InviteState {
  invite = $state.raw<InviteCode | null>(null);
  visible = $state(false);
  busy = $state(false);
  error = $state<string | null>(null);
  /** What happened to the last copy, in words. */
  message = $state<string | null>(null);

  constructor(private readonly session: Session) {}

  async show(): Promise<void> {
    if ((await this.#fetch()) !== null) this.visible = true;
  }

  hide(): void {
    this.visible = false;
    this.invite = null;
    this.message = null;
  }

  /**
   * Copies the code; where the clipboard refuses, shows it for the user to copy by hand. Returns 'shown'
   * then (the card selects it for them), 'copied', or 'failed' (the code could not be fetched).
   */
  async copy(): Promise<'copied' | 'shown' | 'failed'> {
    this.message = null;
    const invite = await this.#fetch();
    if (invite === null) return 'failed';
    if (await writeToClipboard(invite.code)) {
      this.message = 'The invite code was copied to the clipboard.';
      return 'copied';
    }
    this.visible = true;
    this.message = 'The clipboard is not available here: the invite code is shown below, select and copy it.';
    return 'shown';
  }

  async #fetch(): Promise<InviteCode | null> {
    this.busy = true;
    this.error = null;
    try {
      this.invite = await this.session.api.inviteCode();
      return this.invite;
    } catch (error) {
      this.error = `No invite code: ${describeError(error)}`;
      return null;
    } finally {
      this.busy = false;
    }
  }
}
