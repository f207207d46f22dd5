/**
 * Owns the running ReplicaNode of a process and its configuration: the service always talks to the
 * current node through it, event listeners survive restarts, and updateConfig() restarts the replica
 * with a new member list, name or secret.
 *
 * Where the configuration lives decides whether it can change here: the desktop app keeps it in a
 * config file (a ConfigFile is given), the headless node takes it from its command line (none given:
 * updateConfig explains how to change it instead).
 *
 * A new secret means another cluster, whose data directory must start empty: the old one is kept aside
 * (renamed with a timestamp), never deleted.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { ApiError, type ConfigUpdate, type NodeConfig, type SynodEvent } from '../../shared/api';
import { writeFileAtomically } from './atomic-file';
import { ReplicaNode, type HostPort, type NodeOptions } from './replica-node';

/** What the desktop app persists about its node. */
export interface SavedConfig {
  readonly id: string;
  readonly name: string;
  readonly listen: HostPort;
  readonly peers: readonly { readonly id: string; readonly host: string; readonly port: number }[];
  readonly secret: string;
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

const COMMAND_LINE_NOTE = 'This node takes its configuration from the synod-node command line: restart it with other --peer, --name or --secret options to change it.';

export class NodeHost {
  private listeners = new Set<(event: SynodEvent) => void>();
  private unsubscribe: () => void;

  private constructor(
    private current: ReplicaNode,
    private options: NodeOptions,
    private readonly file: ConfigFile | null,
  ) {
    this.unsubscribe = this.forward();
  }

  static async start(options: NodeOptions, file: ConfigFile | null = null): Promise<NodeHost> {
    return new NodeHost(await ReplicaNode.start(options), options, file);
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
      peers: this.current.configuredPeers(),
      editable: this.file !== null,
      note: this.file === null ? COMMAND_LINE_NOTE : null,
    };
  }

  revealSecret(): { secret: string } {
    return { secret: this.options.secret };
  }

  /** Saves the new configuration and restarts the replica with it. */
  async updateConfig(update: ConfigUpdate): Promise<NodeConfig> {
    if (this.file === null) throw new ApiError({ code: 'unavailable', message: COMMAND_LINE_NOTE });
    if (update.peers?.some((peer) => peer.id === this.options.id)) {
      throw new ApiError({ code: 'invalid-argument', message: `${this.options.id} is this node itself; list only the other members.` });
    }
    const peers = update.peers === undefined ? this.options.peers : new Map(update.peers.map((peer) => [peer.id, splitAddress(peer.address)]));
    const secret = update.secret ?? this.options.secret;
    const next: NodeOptions = { ...this.options, peers, secret, ...(update.name === undefined ? {} : { name: update.name }) };
    this.file.save({
      id: next.id,
      name: next.name ?? next.id,
      listen: next.listen,
      peers: [...peers].map(([id, address]) => ({ id, ...address })),
      secret,
    });
    await this.current.stop();
    if (secret !== this.options.secret && existsSync(next.dataDir)) {
      // Another cluster: this directory holds the old cluster's history. Keep it, out of the way.
      renameSync(next.dataDir, `${next.dataDir}.before-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    }
    this.unsubscribe();
    this.current = await ReplicaNode.start(next);
    this.options = next;
    this.unsubscribe = this.forward();
    this.emit({ type: 'status', status: this.current.status() });
    return this.config();
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

/** `host:port` or `[v6]:port` (already validated at the API boundary). */
export function splitAddress(address: string): HostPort {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(colon + 1)) };
}
