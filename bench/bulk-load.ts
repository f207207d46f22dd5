/** Loads a cluster with many tweets as fast as 64 concurrent clients can (for benchmarks that need a history). */
import type { ProcessNode } from '../test/process/harness';
import { LeanClient } from './http-client';

const TEXT = 'x'.repeat(90);

/** Sends `commands` tweets spread over `nodes`; returns the seconds it took. Failures are not retried. */
export async function bulkLoad(nodes: readonly ProcessNode[], commands: number): Promise<number> {
  const connections = nodes.map((node) => new LeanClient(node.spec.httpPort, node.token, 64));
  const start = performance.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: 64 }, async (_, i) => {
      const client = connections[i % nodes.length] as LeanClient;
      while (sent < commands) {
        sent++;
        await client.call('tweet', { text: `${TEXT} bulk ${sent}` }).catch(() => undefined);
      }
    }),
  );
  for (const client of connections) client.close();
  return (performance.now() - start) / 1_000;
}
