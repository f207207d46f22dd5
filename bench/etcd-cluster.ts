/**
 * A 3-member etcd cluster on 127.0.0.1 for benchmarks (bench/vs-etcd.ts): Debian's `etcd` binary, installed with
 * apt-get when missing and we are root; data dirs in a temp dir, etcd's defaults otherwise (fsync on, heartbeat
 * 100 ms, election timeout 1 s). dispose() SIGKILLs every member and removes the temp dir.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3, type IOptions } from 'etcd3';
import { freeTcpPort, isRunning, killHard, sleep, waitFor } from '../test/process/harness';

const INSTALL_HINT = 'apt-get install -y etcd-server etcd-client';

function etcdInstalled(): boolean {
  return spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Makes sure `etcd` is on the PATH: installs Debian's packages when we are root, otherwise says how. */
export function ensureEtcd(): void {
  if (etcdInstalled()) return;
  if (process.getuid?.() !== 0) throw new Error(`etcd is not installed; install it with \`sudo ${INSTALL_HINT}\` (Debian/Ubuntu) and rerun`);
  console.log(`etcd is not installed: running \`${INSTALL_HINT}\``);
  const install = (): boolean => spawnSync('apt-get', INSTALL_HINT.split(' ').slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  if (!install()) {
    // A fresh machine may have no package lists yet.
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    if (!install()) throw new Error(`\`${INSTALL_HINT}\` failed`);
  }
  if (!etcdInstalled()) throw new Error(`\`${INSTALL_HINT}\` succeeded but \`etcd\` is still not on the PATH`);
}

/** A gRPC client of one member, on its own connection (grpc-js shares connections between clients unless told not to). */
export function etcdClient(port: number, options: Partial<IOptions> = {}): Etcd3 {
  return new Etcd3({ hosts: `http://127.0.0.1:${port}`, grpcOptions: { 'grpc.use_local_subchannel_pool': 1 }, ...options });
}

/** Resolves once something accepts TCP connections on the port (cheap enough to poll every few ms). */
export function tcpOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

export class EtcdMember {
  child: ChildProcess | null = null;
  readonly logs: string[] = [];

  constructor(
    readonly name: string,
    readonly clientPort: number,
    private readonly args: readonly string[],
  ) {}

  get running(): boolean {
    return isRunning(this.child);
  }

  /** Spawns the process and returns at once (callers decide what "ready" means). */
  spawn(): void {
    const child = spawn('etcd', this.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.logs.push(chunk);
      if (this.logs.length > 200) this.logs.shift();
    });
    this.child = child;
  }

  /** SIGKILL: no shutdown of any kind. */
  kill(): Promise<void> {
    return killHard(this.child);
  }
}

export class EtcdCluster {
  private constructor(
    readonly baseDir: string,
    readonly members: readonly EtcdMember[],
  ) {}

  static async start(size = 3): Promise<EtcdCluster> {
    const baseDir = mkdtempSync(join(tmpdir(), 'synod-etcd-'));
    const ports: Array<{ name: string; client: number; peer: number }> = [];
    for (let i = 1; i <= size; i++) ports.push({ name: `e${i}`, client: await freeTcpPort(), peer: await freeTcpPort() });
    const initialCluster = ports.map((p) => `${p.name}=http://127.0.0.1:${p.peer}`).join(',');
    const token = `bench-${randomBytes(6).toString('hex')}`;
    const members = ports.map(
      (p) =>
        new EtcdMember(p.name, p.client, [
          ...['--name', p.name, '--data-dir', join(baseDir, p.name)],
          ...['--listen-client-urls', `http://127.0.0.1:${p.client}`, '--advertise-client-urls', `http://127.0.0.1:${p.client}`],
          ...['--listen-peer-urls', `http://127.0.0.1:${p.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${p.peer}`],
          ...['--initial-cluster', initialCluster, '--initial-cluster-token', token, '--initial-cluster-state', 'new'],
          ...['--logger', 'zap', '--log-level', 'warn'],
        ]),
    );
    const cluster = new EtcdCluster(baseDir, members);
    try {
      for (const member of members) member.spawn();
      await cluster.leaderIndex(30_000);
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
    return cluster;
  }

  /** Index of the member every member names as leader, once they agree. */
  async leaderIndex(timeoutMs = 15_000): Promise<number> {
    let leader = -1;
    await waitFor(
      async () => {
        const statuses = await Promise.all(this.members.map((m) => this.withClient(m, (c) => c.maintenance.status())));
        const ids = new Set(statuses.map((s) => s.leader));
        leader = statuses.findIndex((s) => s.header.member_id === s.leader);
        return ids.size === 1 && leader >= 0;
      },
      timeoutMs,
      'an etcd leader',
    );
    return leader;
  }

  /** Every member applied the same revision. */
  async waitForConvergence(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      async () => {
        const statuses = await Promise.all(this.members.map((m) => this.withClient(m, (c) => c.maintenance.status())));
        return new Set(statuses.map((s) => s.header.revision)).size === 1;
      },
      timeoutMs,
      'etcd convergence',
    );
  }

  async withClient<T>(member: EtcdMember, use: (client: Etcd3) => Promise<T>): Promise<T> {
    const client = etcdClient(member.clientPort, { defaultCallOptions: () => ({ deadline: Date.now() + 1_000 }) });
    try {
      return await use(client);
    } finally {
      client.close();
    }
  }

  /** Spawns `member` and polls (every `pollMs`) until it serves a linearizable read; returns the ms from spawn. */
  async restartUntilLinearizableRead(member: EtcdMember, pollMs: number): Promise<number> {
    const start = performance.now();
    member.spawn();
    for (;;) {
      if (!member.running) throw new Error(`${member.name} exited during restart:\n${member.logs.join('')}`);
      try {
        // Only dial once the port is open: a gRPC channel that failed to connect backs off for a second.
        if (await tcpOpen(member.clientPort)) {
          await this.withClient(member, (c) => c.get('probe').serializable(false).string());
          return performance.now() - start;
        }
      } catch {
        // Not ready yet (no leader, still replaying, ...).
      }
      await sleep(pollMs);
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(this.members.map((m) => m.kill()));
    rmSync(this.baseDir, { recursive: true, force: true });
  }
}
