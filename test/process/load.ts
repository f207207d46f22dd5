/**
 * Client load for real-process tests: concurrent clients tweeting through given nodes. Records what
 * each node acknowledged (id -> slot) and what it answered `pending` for (those must be chosen exactly
 * once later). Requests to a node that is down fail and are retried elsewhere by the test, not here.
 */
import { ApiCallError, type ProcessNode } from './harness';

export interface LoadResult {
  readonly acknowledged: Map<string, number>;
  readonly pending: Set<string>;
  /** Requests that failed because the node was unreachable (outcome unknown: at most once). */
  failed: number;
}

export function newLoadResult(): LoadResult {
  return { acknowledged: new Map(), pending: new Set(), failed: 0 };
}

/**
 * `clients` concurrent loops per node, each sending tweets until `until()` says stop. `text` makes the
 * n-th tweet of a client (default: the label and a counter; give full-size tweets to fill whole batches).
 */
export async function tweetLoad(
  nodes: () => readonly ProcessNode[],
  clients: number,
  until: () => boolean,
  result: LoadResult,
  label = 'load',
  text: (client: number, n: number) => string = (client, n) => `${label} ${client}-${n}`,
): Promise<void> {
  let counter = 0;
  const client = async (index: number): Promise<void> => {
    while (!until()) {
      const targets = nodes().filter((node) => node.running);
      const node = targets[(index + counter) % Math.max(1, targets.length)];
      if (node === undefined) {
        await new Promise((done) => setTimeout(done, 50));
        continue;
      }
      try {
        const receipt = await node.call('tweet', { text: text(index, counter++) }, 15_000);
        result.acknowledged.set(receipt.id, receipt.slot);
      } catch (error) {
        if (error instanceof ApiCallError && error.code === 'pending' && error.id !== undefined) result.pending.add(error.id);
        else {
          result.failed++;
          await new Promise((done) => setTimeout(done, 50));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
}
