/**
 * A Synod cluster on rig hosts: one `synod-node` per host, each with the defaults a person gets
 * (UDP on 0.0.0.0:7400, its own data directory, the secret in a file), built either as a new cluster
 * whose members list each other by IP (--peer) or the way a person does it: one host starts alone and
 * generates the secret, the others join it by its IP address or with an invite code, optionally all
 * announcing themselves on the LAN (--discover).
 * dispose() kills every process and removes the whole network, also after a failed start.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { NodeStatus } from '../../shared/api';
import { waitFor } from '../process/harness';
import { HostNode, UDP_PORT } from './host-node';
import { run } from './netns';
import { RigNetwork, type HostSpec, type RigHost } from './network';

export interface RigOptions {
  readonly hosts: readonly HostSpec[];
  /**
   * 'peers': a new cluster, every member listed by IP, started together; 'join': only h1 starts, alone
   * (a one-node cluster with a generated secret), and join() adds the others by its IP.
   */
  readonly build: 'peers' | 'join';
  /** Every node announces itself and listens for clusters on the LAN (--discover). */
  readonly discover?: boolean;
}

export class Rig {
  readonly nodes: HostNode[] = [];
  /** Nodes on rig hosts that are not part of the cluster under test (startAlone). */
  private readonly bystanders: HostNode[] = [];

  private constructor(
    readonly network: RigNetwork,
    /** Arguments every node gets. */
    private readonly commonArgs: readonly string[],
  ) {}

  static async start(runId: string, options: RigOptions): Promise<Rig> {
    const network = await RigNetwork.create(runId, options.hosts);
    const rig = new Rig(network, options.discover === true ? ['--discover'] : []);
    try {
      if (options.build === 'peers') await rig.startAsPeers();
      else await rig.startFounder();
    } catch (error) {
      rig.dispose();
      throw error;
    }
    return rig;
  }

  get secretFile(): string {
    return join(this.network.dir, 'secret');
  }

  node(name: string): HostNode {
    const node = this.nodes.find((candidate) => candidate.spec.id === name);
    if (node === undefined) throw new Error(`no node ${name}`);
    return node;
  }

  running(): HostNode[] {
    return this.nodes.filter((node) => node.running);
  }

  private newNode(host: RigHost, args: readonly string[]): HostNode {
    const node = new HostNode(host, join(this.network.dir, host.name), [...args, ...this.commonArgs]);
    this.nodes.push(node);
    return node;
  }

  private async startAsPeers(): Promise<void> {
    writeFileSync(this.secretFile, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
    for (const host of this.network.hosts) {
      const peers = this.network.hosts.filter((other) => other !== host).flatMap((other) => ['--peer', `${other.name}=${other.address}:${UDP_PORT}`]);
      this.newNode(host, ['--secret-file', this.secretFile, ...peers]);
    }
    await Promise.all(this.nodes.map((node) => node.start()));
    await this.waitForLeader();
  }

  private async startFounder(): Promise<void> {
    const founder = this.newNode(this.founderHost(), []);
    await founder.start();
    // The founder generated the secret in its data directory; a person copies it to each new machine.
    copyFileSync(join(founder.spec.dataDir, 'cluster-secret'), this.secretFile);
  }

  private founderHost(): RigHost {
    const first = this.network.hosts[0];
    if (first === undefined) throw new Error('no hosts');
    return first;
  }

  /**
   * Starts the node of host `name` on a fresh data directory: with --join the founder's IP address and
   * the copied secret, or with an invite code (in a private file, as a person keeps it out of `ps`).
   */
  async join(name: string, how: { readonly code: string } | 'by-ip' = 'by-ip'): Promise<HostNode> {
    let args: string[];
    if (how === 'by-ip') {
      args = ['--join', `${this.founderHost().address}:${UDP_PORT}`, '--secret-file', this.secretFile];
    } else {
      const codeFile = join(this.network.dir, `${name}-invite`);
      writeFileSync(codeFile, `${how.code}\n`, { mode: 0o600 });
      args = ['--join-code-file', codeFile];
    }
    const node = this.newNode(this.network.host(name), args);
    await node.start();
    return node;
  }

  /** Starts the node of host `name` as a one-node cluster of its own, as the desktop app starts: it may join one later. */
  async startOwn(name: string): Promise<HostNode> {
    const node = this.newNode(this.network.host(name), []);
    await node.start();
    return node;
  }

  /**
   * A one-node cluster of its own on host `name`, in a data directory of its own (not one of the rig's
   * nodes: stop it before that host's node starts), as a machine is before it joins anything.
   */
  async startAlone(name: string): Promise<HostNode> {
    const node = new HostNode(this.network.host(name), join(mkdtempSync(join(this.network.dir, `${name}-alone-`)), 'data'), this.commonArgs);
    this.bystanders.push(node);
    await node.start();
    return node;
  }

  /** Every node in `nodes` reports exactly `nodes` as the members in effect, with no change pending. */
  async waitForMembers(nodes: readonly HostNode[], timeoutMs = 60_000): Promise<void> {
    const expected = nodes.map((node) => node.spec.id).sort().join(',');
    await waitFor(
      async () => {
        const statuses = await Promise.all(nodes.map((node) => node.status()));
        return statuses.every((s) => s.membership.pending === null && s.membership.members?.map((m) => m.id).sort().join(',') === expected);
      },
      timeoutMs,
      `members ${expected}`,
    );
  }

  /** The leader a majority of all nodes names (among `among`, default any running node). */
  async waitForLeader(timeoutMs = 30_000, among: readonly HostNode[] = this.nodes): Promise<HostNode> {
    let leader: HostNode | undefined;
    await waitFor(
      async () => {
        const statuses = await Promise.all(this.running().map((node) => node.status().catch(() => null)));
        const named = statuses.find((s): s is NodeStatus => s !== null && s.role === 'leader' && among.some((node) => node.spec.id === s.id) && statuses.filter((other) => other?.leader === s.id).length > this.nodes.length / 2);
        leader = named === undefined ? undefined : this.node(named.id);
        return leader !== undefined;
      },
      timeoutMs,
      'a leader',
    );
    return leader as HostNode;
  }

  /** Every node in `nodes` applied the same slots, everything committed, nothing of their own pending. */
  async waitForConvergence(nodes: readonly HostNode[] = this.running(), timeoutMs = 60_000): Promise<void> {
    let last = '';
    try {
      await waitFor(
        async () => {
          const statuses = await Promise.all(nodes.map((node) => node.status()));
          last = statuses.map((s) => `${s.id}: applied ${s.appliedIndex}, commit ${s.commitIndex}, pending ${s.pendingCommands}`).join('; ');
          return new Set(statuses.map((s) => s.appliedIndex)).size === 1 && statuses.every((s) => s.pendingCommands === 0 && s.commitIndex === s.appliedIndex);
        },
        timeoutMs,
        'convergence',
      );
    } catch (error) {
      throw new Error(`${(error as Error).message} (last seen: ${last})\n${nodes.map((node) => node.tail()).join('\n')}`, { cause: error });
    }
  }

  /** SIGKILL for every process of the host, as when it loses power. */
  async killHost(name: string): Promise<void> {
    const node = this.node(name);
    const pids = (await run('ip', ['netns', 'pids', node.host.ns])).split(/\s+/).filter(Boolean).map(Number);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await node.kill(); // waits for the exit
  }

  dispose(): void {
    for (const node of [...this.nodes, ...this.bystanders]) {
      node.child?.kill('SIGKILL');
      node.closeConnections();
    }
    this.network.destroy();
  }

  /** The recent log lines of every node, for a failure message. */
  tails(): string {
    return this.nodes.map((node) => node.tail()).join('\n');
  }
}
