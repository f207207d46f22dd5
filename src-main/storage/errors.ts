/**
 * Storage failures a node must not start with. Each carries a stable code, a message that says what
 * is wrong and what to do, and the process exit code the CLI uses (documented in README).
 */
export type StorageErrorCode =
  | 'journal-corrupt'
  | 'checkpoint-missing'
  | 'checkpoint-corrupt'
  | 'wrong-node'
  | 'wrong-cluster'
  | 'data-dir-locked'
  | 'unsupported-format'
  /** --join on a data directory holding this node's own one-node cluster, without --discard-history. */
  | 'holds-own-history';

export const STORAGE_EXIT_CODES: Readonly<Record<StorageErrorCode, number>> = Object.freeze({
  'journal-corrupt': 70,
  'checkpoint-missing': 71,
  'checkpoint-corrupt': 72,
  'wrong-node': 73,
  'wrong-cluster': 74,
  'data-dir-locked': 75,
  'unsupported-format': 76,
  'holds-own-history': 77,
});

export class StorageError extends Error {
  readonly exitCode: number;

  constructor(
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
    this.exitCode = STORAGE_EXIT_CODES[code];
  }
}
