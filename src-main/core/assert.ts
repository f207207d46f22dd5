/**
 * Invariants that run (TigerBeetle's assertions, etcd-io/raft's panics on impossible states): a broken
 * invariant means a bug in the core, and carrying on could break safety, so it fails loudly at once with
 * what was expected. Never used for input validation: peers' messages are checked in message-check.ts,
 * and a bad input is dropped, not asserted.
 */
export class InvariantError extends Error {
  constructor(why: string) {
    super(`invariant broken: ${why}`);
    this.name = 'InvariantError';
  }
}

export function assert(condition: boolean, why: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantError(typeof why === 'string' ? why : why());
}
