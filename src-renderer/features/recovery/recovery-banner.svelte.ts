/**
 * The banner a restarted node's dashboard opens with: shown while the node's latest recovery has not
 * been dismissed. Dismissing one recovery keeps the next (a later restart) visible: it is keyed by the
 * recovery's time, and remembered for the browser tab (sessionStorage) so a reload does not bring it back.
 */
import type { RecoveryReport } from '../../../shared/api';
import { recoveredFromDisk, recoverySummary } from './recovery-text';

const STORAGE_KEY = 'synod.recovery-dismissed-at';

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null; // storage disabled: the banner is then dismissed for this page only
  }
}

export class RecoveryBanner {
  #dismissedAt = $state<number | null>(Number(storage()?.getItem(STORAGE_KEY) ?? Number.NaN) || null);

  constructor(private readonly recovery: () => RecoveryReport | null) {}

  readonly text = $derived.by(() => {
    const recovery = this.recovery();
    if (recovery === null || !recoveredFromDisk(recovery) || recovery.at === this.#dismissedAt) return null;
    return recoverySummary(recovery);
  });

  dismiss(): void {
    const recovery = this.recovery();
    if (recovery === null) return;
    this.#dismissedAt = recovery.at;
    storage()?.setItem(STORAGE_KEY, String(recovery.at));
  }
}
