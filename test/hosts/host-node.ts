/**
 * A real `synod-node` process on a rig host: started with `ip netns exec` (which execs node itself, so
 * the child is the node process and signals reach it directly), listening on the host's own network
 * stack, its HTTP API on the host's management address. Everything else (signals, logs, the API
 * helpers) is ProcessNode's.
 */
import { spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ApiMethodName, ApiMethods } from '../../shared/api';
import { ApiCallError, ProcessNode, sleep } from '../process/harness';
import { findTool } from './netns';
import type { RigHost } from './network';

const BIN = join(resolve(fileURLToPath(new URL('../..', import.meta.url))), 'bin', 'synod-node.mjs');
export const UDP_PORT = 7400;
export const HTTP_PORT = 8080;
const KEPT_LOG_LINES = 400;

export class HostNode extends ProcessNode {
  private readonly agent = new Agent({ keepAlive: true });

  constructor(
    readonly host: RigHost,
    dataDir: string,
    /** Command-line arguments after --id, --data and --http (which the rig sets). */
    private readonly extraArgs: readonly string[],
  ) {
    super({ id: host.name, udpPort: UDP_PORT, httpPort: HTTP_PORT, dataDir }, []);
  }

  /** Starts the process in the host's namespace; resolves once its HTTP API answers. */
  override async start(timeoutMs = 30_000): Promise<void> {
    const args = ['netns', 'exec', this.host.ns, process.execPath, BIN, '--id', this.spec.id, '--data', this.spec.dataDir, '--http', `${this.host.mgmtAddress}:${HTTP_PORT}`, ...this.extraArgs];
    // The token in the environment, not on the command line (other users read the process list).
    const env = { ...process.env, SYNOD_TOKEN: this.token, SYNOD_SECRET: '' };
    const child = spawn(findTool('ip') ?? 'ip', args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.child = child;
    const remember = (line: string): void => {
      this.logs.push(line);
      if (this.logs.length > KEPT_LOG_LINES) this.logs.shift();
    };
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', remember);
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', remember);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.spec.id} exited during start (${child.exitCode ?? child.signalCode}):\n${this.logs.join('\n')}`);
      try {
        await this.call('status', undefined, 1_000);
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`${this.spec.id} did not start within ${timeoutMs} ms:\n${this.logs.join('\n')}`);
        await sleep(100);
      }
    }
  }

  /**
   * The API over node:http with keep-alive: fetch costs several times the CPU per request, which on a
   * two-core machine running the cluster too slows the very load the scenarios measure.
   */
  override call<M extends ApiMethodName>(method: M, args?: ApiMethods[M]['args'], timeoutMs = 10_000): Promise<ApiMethods[M]['result']> {
    const body = args === undefined ? '' : JSON.stringify(args);
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        {
          host: this.host.mgmtAddress,
          port: HTTP_PORT,
          path: `/api/${method}`,
          method: 'POST',
          agent: this.agent,
          headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('error', reject);
          response.on('end', () => {
            clearTimeout(timer);
            try {
              const parsed = JSON.parse(text) as { result?: ApiMethods[M]['result']; error?: { code: string; message: string; id?: string } };
              if (parsed.error !== undefined) reject(new ApiCallError(response.statusCode ?? 0, parsed.error.code, parsed.error.message, parsed.error.id));
              else resolve(parsed.result as ApiMethods[M]['result']);
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      const timer = setTimeout(() => request.destroy(new Error(`${this.spec.id}: ${method} got no answer within ${timeoutMs} ms`)), timeoutMs);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.end(body);
    });
  }

  /** Closes the kept-alive connections to this node's API. */
  closeConnections(): void {
    this.agent.destroy();
  }

  /** The last `lines` lines the process wrote, for a failure message. */
  tail(lines = 30): string {
    return `--- ${this.spec.id} (last ${lines} lines) ---\n${this.logs.slice(-lines).join('\n')}`;
  }
}
