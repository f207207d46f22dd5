/**
 * Clients of a rig cluster that record a history for the history checker: for every tweet, its
 * unique text, when it was sent and answered (performance.now()), which node it went to, and what the
 * answer was. A request without an answer (timeout, connection refused or reset, node down) is
 * recorded as `unknown`: it may have reached a node, so it may be chosen at most once.
 */
import type { ClientOperation, OperationOutcome } from '../support/history-checker';
import { ApiCallError, sleep } from '../process/harness';
import type { HostNode } from './host-node';

export interface RecordedOperation extends ClientOperation {
  /** The node the request went to. */
  readonly node: string;
}

/** How long a client waits for an answer: well above the node's own request timeout (5 s). */
const CLIENT_TIMEOUT_MS = 15_000;
/** A client that got no answer waits this long before its next request (a node may be down). */
const BACKOFF_MS = 100;

/** Answers a client may get while nodes come and go; any other error is a finding. */
const EXPECTED_ERRORS = new Set(['pending', 'unavailable']);

export class ClientHistory {
  readonly operations: RecordedOperation[] = [];
  /** API errors other than the expected ones (`node: code: message`), each recorded as `unknown` too. */
  readonly unexpectedErrors: string[] = [];

  /** Sends one tweet to `node` and records it. */
  async tweet(node: HostNode, text: string): Promise<OperationOutcome> {
    const invokedAtMs = performance.now();
    let outcome: OperationOutcome;
    try {
      const receipt = await node.call('tweet', { text }, CLIENT_TIMEOUT_MS);
      outcome = { type: 'ok', id: receipt.id, slot: receipt.slot };
    } catch (error) {
      outcome = error instanceof ApiCallError && error.code === 'pending' && error.id !== undefined ? { type: 'pending', id: error.id } : { type: 'unknown' };
      if (error instanceof ApiCallError && !EXPECTED_ERRORS.has(error.code)) this.unexpectedErrors.push(`${node.spec.id}: ${error.code}: ${error.message}`);
    }
    this.operations.push({ value: text, invokedAtMs, completedAtMs: performance.now(), outcome, node: node.spec.id });
    return outcome;
  }

  count(type: OperationOutcome['type'], where: (operation: RecordedOperation) => boolean = () => true): number {
    return this.operations.filter((operation) => operation.outcome.type === type && where(operation)).length;
  }

  /** One line for the report: how many of each outcome. */
  summary(): string {
    return `${this.operations.length} tweets: ${this.count('ok')} acknowledged, ${this.count('pending')} pending, ${this.count('unknown')} unanswered`;
  }
}

export interface LoadOptions {
  /** Concurrent clients; client i talks to targets()[i % length], like a user at one machine. */
  readonly clients: number;
  /** Makes every text unique within the history. */
  readonly label: string;
  readonly targets: () => readonly HostNode[];
  /** Stop after this many tweets in all (default: no limit). */
  readonly total?: number;
  /** Stop when this says so (checked before each tweet). */
  readonly until?: () => boolean;
}

/** Runs `clients` loops until `until()` or `total` tweets; resolves when every loop stopped. */
export async function runLoad(history: ClientHistory, options: LoadOptions): Promise<void> {
  let sent = 0;
  const more = (): boolean => (options.total === undefined || sent < options.total) && !(options.until?.() ?? false);
  const client = async (index: number): Promise<void> => {
    for (let n = 0; more(); n++) {
      const targets = options.targets();
      const node = targets[index % Math.max(1, targets.length)];
      if (node === undefined) {
        await sleep(BACKOFF_MS);
        continue;
      }
      sent++;
      const outcome = await history.tweet(node, `${options.label} ${index}-${n}`);
      if (outcome.type === 'unknown') await sleep(BACKOFF_MS);
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, i) => client(i)));
}

/**
 * A background load that runs until stop(): for scenarios that change the network or the processes
 * while clients keep writing.
 */
export class BackgroundLoad {
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(history: ClientHistory, options: Omit<LoadOptions, 'until' | 'total'>) {
    this.done = runLoad(history, { ...options, until: () => this.stopped });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}
