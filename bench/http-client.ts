/**
 * A lean HTTP client for load generation: node:http with keep-alive connections. Node's fetch costs
 * about 1 ms of client CPU per call here, which on a 2-core machine would measure the client, not Synod.
 */
import { Agent, request } from 'node:http';

export class LeanClient {
  private readonly agent: Agent;

  constructor(
    private readonly port: number,
    private readonly token: string,
    connections: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: connections });
  }

  /** POSTs /api/<method>; resolves with the parsed body ({result} or {error}). */
  call(method: string, args: unknown): Promise<{ result?: unknown; error?: { code: string; message: string; id?: string } }> {
    const body = args === undefined ? '' : JSON.stringify(args);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          path: `/api/${method}`,
          method: 'POST',
          agent: this.agent,
          headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { result?: unknown; error?: { code: string; message: string } });
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
