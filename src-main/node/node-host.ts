/**
 * Owns the running ReplicaNode of a process and its configuration: the service always talks to the
 * current node through it, event listeners survive restarts, updateConfig() renames the user and
 * join() moves the node into another cluster.
 *
 * Membership is replicated state, not configuration: `peers` is only the bootstrap list a brand-new
 * cluster starts from. Joining another cluster means a new secret and an empty data directory: the old
 * one is kept aside (renamed with a timestamp), never deleted, and only with the user's consent when it
 * holds history of its own.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { ApiError, type ConfigUpdate, type JoinArgs, type NodeConfig, type SynodEvent } from '../../shared/api';
import { writeFileAtomically } from './atomic-file';
import { parseHostPort, ReplicaNode, type HostPort, type NodeOptions } from './replica-node';

/** What the desktop app persists about its node. */
export interface SavedConfig {
  readonly id: string;
  readonly name: string;
  readonly listen: HostPort;
  readonly peers: readonly { readonly id: string; readonly host: string; readonly port: number }[];
  readonly secret: string;
  /** The member contacted to join its cluster, until this node is a member (a restart resumes the join). */
  readonly join?: HostPort | null;
}

export class ConfigFile {
  constructor(readonly path: string) {}

  exists(): boolean {
    return existsSync(this.path);
  }

  load(): SavedConfig {
    return JSON.parse(readFileSync(this.path, 'utf8')) as SavedConfig;
  }

  save(config: SavedConfig): void {
    writeFileAtomically(this.path, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  }
}

const COMMAND_LINE_NOTE = 'This node takes its name from the synod-node command line: restart it with another --name to change it.';

export interface NodeHostOptions {
  /** Where the desktop app keeps the configuration; absent for a headless node (its command line). */
  readonly file?: ConfigFile | null;
  /**
   * A headless node keeps the secret of a cluster it joined from its dashboard here (the new data
   * directory already exists), so that a restart finds it.
   */
  readonly saveJoinedSecret?: (secret: string) => void;
}

export class NodeHost {
  private listeners = new Set<(event: SynodEvent) => void>();
  private unsubscribe: () => void;

  private readonly file: ConfigFile | null;

  private constructor(
    private current: ReplicaNode,
    private options: NodeOptions,
    private readonly hostOptions: NodeHostOptions,
  ) {
    this.file = hostOptions.file ?? null;
    this.unsubscribe = this.forward();
  }

  static async start(options: NodeOptions, hostOptions: NodeHostOptions = {}): Promise<NodeHost> {
    return new NodeHost(await ReplicaNode.start(options), options, hostOptions);
  }

  get node(): ReplicaNode {
    return this.current;
  }

  config(): NodeConfig {
    const status = this.current.status();
    return {
      id: this.current.id,
      name: this.current.name,
      address: status.address,
      peers: this.current.bootstrapPeers(),
      editable: this.file !== null,
      note: this.file === null ? COMMAND_LINE_NOTE : null,
      hasHistory: this.current.hasHistory(),
    };
  }

  revealSecret(): { secret: string } {
    return { secret: this.options.secret };
  }

  /** Saves the new name and restarts the replica with it (its user re-registers under that name). */
  async updateConfig(update: ConfigUpdate): Promise<NodeConfig> {
    if (this.file === null) throw new ApiError({ code: 'unavailable', message: COMMAND_LINE_NOTE });
    await this.restart({ ...this.options, ...(update.name === undefined ? {} : { name: update.name }) }, false);
    return this.config();
  }

  /**
   * Leaves this node's cluster for the one of the member at `args.address`: needs consent when this
   * node has history of its own or is a member of a cluster with others, since both are left behind.
   */
  async join(args: JoinArgs): Promise<NodeConfig> {
    const status = this.current.status();
    const others = (status.membership.members ?? []).filter((m) => m.id !== this.options.id).length;
    if (!args.discardHistory && (this.current.hasHistory() || others > 0)) {
      const what = others > 0 ? `This node is a member of a cluster with ${others} other member${others === 1 ? '' : 's'}` : 'This node holds history of its own (tweets or users of its one-node cluster)';
      throw new ApiError({
        code: 'needs-confirmation',
        message: `${what}. Joining another cluster discards that from this node (its data directory is kept aside, renamed). Confirm to join anyway.`,
      });
    }
    const contact = parseHostPort(args.address);
    if (contact === null) throw new ApiError({ code: 'invalid-argument', message: `join: "${args.address}" is not HOST:PORT` });
    const next: NodeOptions = { ...this.options, secret: args.secret, peers: new Map(), join: contact };
    await this.restart(next, true);
    return this.config();
  }

  /** Stops the replica, saves `next`, moves the data directory aside if asked, starts again with `next`. */
  private async restart(next: NodeOptions, freshDataDir: boolean): Promise<void> {
    this.file?.save({
      id: next.id,
      name: next.name ?? next.id,
      listen: next.listen,
      peers: [...next.peers].map(([id, address]) => ({ id, ...address })),
      secret: next.secret,
      join: next.join ?? null,
    });
    await this.current.stop();
    if (freshDataDir && existsSync(next.dataDir)) {
      // Another cluster: this directory holds the old cluster's history. Keep it, out of the way.
      renameSync(next.dataDir, `${next.dataDir}.before-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    }
    if (freshDataDir) this.hostOptions.saveJoinedSecret?.(next.secret);
    this.unsubscribe();
    this.current = await ReplicaNode.start(next);
    this.options = next;
    this.unsubscribe = this.forward();
    this.emit({ type: 'status', status: this.current.status() });
  }

  subscribe(listener: (event: SynodEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    await this.current.stop();
  }

  private forward(): () => void {
    return this.current.subscribe((event) => this.emit(event));
  }

  private emit(event: SynodEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
