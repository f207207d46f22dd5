/**
 * Non-members that hold the cluster secret (nodes asking to join) leave a little state behind: their
 * replay window (seal.ts) and the address to answer them at (udp-transport.ts). Both are kept for the
 * most recent MAX_STRANGERS of them only, so senders that come and go cannot grow memory.
 */
export const MAX_STRANGERS = 16;

/** Records `value` for `key` as the most recent entry, forgetting the oldest beyond MAX_STRANGERS. */
export function rememberStranger<V>(strangers: Map<string, V>, key: string, value: V): void {
  strangers.delete(key);
  strangers.set(key, value);
  for (const oldest of strangers.keys()) {
    if (strangers.size <= MAX_STRANGERS) break;
    strangers.delete(oldest);
  }
}
