/**
 * The "Cluster secret" card's state: the secret, fetched only when the user asks to see or copy it, and
 * what the last copy did. A join changes the secret: the page then starts the card afresh, so a secret
 * fetched before is never shown as this cluster's.
 */
import { writeToClipboard } from '../../app/clipboard';
import { describeError, type Session } from '../../app/session.svelte';

/**
 * What the last copy did: `copied` to the clipboard, or `shown` for the user to copy by hand where the
 * clipboard refused (the card selects it for them).
 */
export type CopyOutcome = 'copied' | 'shown';

export class SecretState {
  /** Null until fetched. */
  secret = $state<string | null>(null);
  visible = $state(false);
  busy = $state(false);
  copied = $state<CopyOutcome | null>(null);
  error = $state<string | null>(null);

  constructor(private readonly session: Session) {}

  async show(): Promise<void> {
    if ((await this.#fetch()) !== null) this.visible = true;
  }

  hide(): void {
    this.visible = false;
  }

  /** Copies the secret, or shows it where the clipboard refuses; null when it could not be fetched. */
  async copy(): Promise<CopyOutcome | null> {
    this.copied = null;
    const secret = await this.#fetch();
    if (secret === null) return null;
    if (await writeToClipboard(secret)) {
      this.copied = 'copied';
    } else {
      this.visible = true;
      this.copied = 'shown';
    }
    return this.copied;
  }

  async #fetch(): Promise<string | null> {
    if (this.secret !== null) return this.secret;
    this.busy = true;
    this.error = null;
    try {
      this.secret = (await this.session.api.revealSecret()).secret;
      return this.secret;
    } catch (error) {
      this.error = `The secret could not be read: ${describeError(error)}`;
      return null;
    } finally {
      this.busy = false;
    }
  }
}
