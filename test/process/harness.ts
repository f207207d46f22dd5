/**
 * Real `synod-node` processes on loopback for tests and benchmarks: start, SIGKILL, SIGSTOP/SIGCONT,
 * restart, and talk to each through its HTTP API. Every process and data directory is cleaned up by
 * dispose(), also when a test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freeTestPort } from '../support/ports';
import type { ApiMethodName, ApiMethods, LogEntryView, NodeStatus } from '../../shared/api';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Runs the built node, out/main/headless.js: the npm scripts build first, and so does test/support/built-node-setup.ts when it is outdated. */
const BIN = join(ROOT, 'bin', 'synod-node.mjs');

/** Free loopback ports for test processes (see test/support/ports.ts for why not port 0). */
export const freeLoopbackUdpPort = freeTestPort;
export const freeTcpPort = freeTestPort;

export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly id: string | undefined,
  ) {
    super(message);
  }
}

export interface NodeSpec {
  readonly id: string;
  readonly udpPort: number;
  readonly httpPort: number;
  readonly dataDir: string;
}

export class ProcessNode {
  child: ChildProcess | null = null;
  readonly logs: string[] = [];
  readonly token = randomBytes(12).toString('hex');

  constructor(
    readonly spec: NodeSpec,
    private readonly args: readonly string[],
    /** Flags for node itself (e.g. --cpu-prof), before the script. */
    private readonly nodeArgs: readonly string[] = [],
  ) {}

  get running(): boolean {
    return isRunning(this.child);
  }

  /** Starts the process; resolves once its HTTP API answers. */
  async start(timeoutMs = 30_000): Promise<void> {
    const child = spawn(process.execPath, [...this.nodeArgs, BIN, ...this.args, '--token', this.token], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SYNOD_SECRET: '' } });
    this.child = child;
    const remember = (line: string): void => {
      this.logs.push(line);
      if (this.logs.length > 400) this.logs.shift();
    };
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', remember);
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', remember);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.spec.id} exited during start:\n${this.logs.join('\n')}`);
      try {
        await this.call('status');
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`${this.spec.id} did not start within ${timeoutMs} ms:\n${this.logs.join('\n')}`);
        await sleep(100);
      }
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** SIGKILL: no shutdown of any kind. */
  kill(): Promise<void> {
    return killHard(this.child);
  }

  /** SIGTERM and wait for the clean exit. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (child === null || !this.running) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    child.kill('SIGTERM');
    return exited;
  }

  async call<M extends ApiMethodName>(method: M, args?: ApiMethods[M]['args'], timeoutMs = 10_000): Promise<ApiMethods[M]['result']> {
    const response = await fetch(`http://127.0.0.1:${this.spec.httpPort}/api/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: args === undefined ? '' : JSON.stringify(args),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as { result?: ApiMethods[M]['result']; error?: { code: string; message: string; id?: string } };
    if (body.error !== undefined) throw new ApiCallError(response.status, body.error.code, body.error.message, body.error.id);
    return body.result as ApiMethods[M]['result'];
  }

  /** Short timeout: a stopped (SIGSTOP) process must not hold up polling. */
  status(): Promise<NodeStatus> {
    return this.call('status', undefined, 1_000);
  }

  /** The whole retained log, page by page. */
  async fullLog(): Promise<LogEntryView[]> {
    const entries: LogEntryView[] = [];
    let from = (await this.call('log', { limit: 1 })).firstSlot;
    for (;;) {
      const page = await this.call('log', { from, limit: 1000 });
      entries.push(...page.entries);
      const last = page.entries.at(-1);
      if (last === undefined || page.entries.length < 1000) return entries;
      from = last.slot + 1;
    }
  }
}

export interface ClusterOptions {
  readonly size: number;
  readonly tickMs?: number;
  readonly extraArgs?: readonly string[];
  readonly nodeArgs?: readonly string[];
}

export class ProcessCluster {
  readonly nodes: ProcessNode[];
  readonly secret = randomBytes(16).toString('hex');

  private constructor(
    readonly baseDir: string,
    specs: readonly NodeSpec[],
    options: ClusterOptions,
  ) {
    this.nodes = specs.map((spec) => {
      const peers = specs.filter((other) => other !== spec).flatMap((other) => ['--peer', `${other.id}=127.0.0.1:${other.udpPort}`]);
      const args = ['--id', spec.id, '--data', spec.dataDir, '--listen', `127.0.0.1:${spec.udpPort}`, '--http', `127.0.0.1:${spec.httpPort}`, '--secret', this.secret, ...peers];
      if (options.tickMs !== undefined) args.push('--tick-ms', String(options.tickMs));
      return new ProcessNode(spec, [...args, ...(options.extraArgs ?? [])], options.nodeArgs);
    });
  }

  static async start(options: ClusterOptions): Promise<ProcessCluster> {
    const baseDir = mkdtempSync(join(tmpdir(), 'synod-process-'));
    const specs: NodeSpec[] = [];
    for (let i = 1; i <= options.size; i++) specs.push({ id: `n${i}`, udpPort: await freeLoopbackUdpPort(), httpPort: await freeTcpPort(), dataDir: join(baseDir, `n${i}`) });
    const cluster = new ProcessCluster(baseDir, specs, options);
    try {
      await Promise.all(cluster.nodes.map((node) => node.start()));
      await cluster.waitForLeader();
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
    return cluster;
  }

  node(id: string): ProcessNode {
    const node = this.nodes.find((n) => n.spec.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  running(): ProcessNode[] {
    return this.nodes.filter((node) => node.running);
  }

  /** The node a majority of running nodes names as leader, once there is one. */
  async waitForLeader(timeoutMs = 15_000, exclude: readonly string[] = []): Promise<ProcessNode> {
    let leader: ProcessNode | undefined;
    await waitFor(
      async () => {
        const statuses = await Promise.all(this.running().map((node) => node.status().catch(() => null)));
        const leaders = statuses.filter((s): s is NodeStatus => s !== null && s.role === 'leader' && !exclude.includes(s.id));
        const named = leaders.find((candidate) => statuses.filter((s) => s?.leader === candidate.id).length > this.nodes.length / 2);
        leader = named === undefined ? undefined : this.node(named.id);
        return leader !== undefined;
      },
      timeoutMs,
      'a leader',
    );
    return leader as ProcessNode;
  }

  /** Every running node applied the same number of slots, and nothing is pending anywhere. */
  async waitForConvergence(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        const statuses = await Promise.all(this.running().map((node) => node.status()));
        const applied = new Set(statuses.map((s) => s.appliedIndex));
        return applied.size === 1 && statuses.every((s) => s.pendingCommands === 0 && s.commitIndex === s.appliedIndex);
      },
      timeoutMs,
      'convergence',
    );
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    rmSync(this.baseDir, { recursive: true, force: true });
  }
}

/** A child process that was started and has not exited. */
export function isRunning(child: ChildProcess | null): child is ChildProcess {
  return child !== null && child.exitCode === null && child.signalCode === null;
}

/** SIGKILL (no shutdown of any kind); resolves once the process is gone. */
export async function killHard(child: ChildProcess | null): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGKILL');
  await exited;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // A node may be restarting: keep polling until the deadline.
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}
