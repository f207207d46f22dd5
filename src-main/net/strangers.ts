/**
 * Bounded memory of senders that are not members. Non-members that hold the cluster secret (nodes
 * asking to join) leave a little state behind: their replay window (seal.ts) and the address to answer
 * them at (udp-transport.ts), kept for the most recent MAX_STRANGERS of them. Members that left the
 * cluster keep their replay window (seal.ts) for the most recent MAX_DEPARTED_SENDERS of them, so that
 * their captured datagrams (a `join` above all) stay replays. Senders that come and go cannot grow memory.
 */
export const MAX_STRANGERS = 16;
export const MAX_DEPARTED_SENDERS = 256;

/** Records `value` for `key` as the most recent entry of `recent`, forgetting the oldest beyond `limit`. */
export function rememberRecent<V>(recent: Map<string, V>, key: string, value: V, limit: number): void {
  recent.delete(key);
  recent.set(key, value);
  for (const oldest of recent.keys()) {
    if (recent.size <= limit) break;
    recent.delete(oldest);
  }
}
