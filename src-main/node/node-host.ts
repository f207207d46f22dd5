/**
 * Owns the running ReplicaNode of a process and its configuration: the service always talks to the
 * current node through it, event listeners survive restarts, updateConfig() renames the user or moves
 * it to another UDP port, join() moves the node into another cluster, and inviteAddresses() says where a
 * new machine can ask to join this one's. It speaks the node's terms (NodeError, NodeEvent); the service
 * shows them as the API.
 *
 * Membership is replicated state, not configuration: `peers` is only the bootstrap list a brand-new
 * cluster starts from. Joining another cluster means a new secret and an empty data directory: the old
 * one is kept aside (renamed with a timestamp), never deleted, and only with the user's consent when it
 * holds history of its own.
 *
 * A member may ask this node to crash (cluster-control.ts, the Scenarios panel): the host drops the
 * replica as a crash would and starts it again from its data directory after the time asked, exactly
 * as a process started on that directory would (its recovery report says so). Meanwhile `node` throws
 * 'unavailable', and no other restart may begin.
 */
import { existsSync, readFileSync, renameSync, rmdirSync } from 'node:fs';
import { writeFileAtomically } from './atomic-file';
import { udpPortProblem } from './free-port';
import { inviteAddresses } from './lan-addresses';
import { parseHostPort, type HostPort } from '../net/address';
import { NodeError } from './node-error';
import type { NodeEvent } from './node-state';
import { ReplicaNode, type NodeOptions } from './replica-node';
import { reportFatal } from './node-options';
import type { CrashRequest } from './cluster-control';
import { silentLogger } from './logger';

/** What the desktop app persists about its node. */
export interface SavedConfig {
  readonly id: string;
  readonly name: string;
  readonly listen: HostPort;
  readonly peers: readonly { readonly id: string; readonly host: string; readonly port: number }[];
  readonly secret: string;
  /** The members contacted to join their cluster, until this node is a member (a restart resumes the join). */
  readonly join?: HostPort | readonly HostPort[] | null;
  /** Why the UDP port is not the usual one (it was taken at first start), until the user picks another. */
  readonly portNote?: string | null;
  /** Announce this node and list the clusters heard on the local network (default: yes). */
  readonly discover?: boolean;
}

/** What the configuration file holds besides the node's options; kept as it is across restarts. */
type KeptConfig = Pick<SavedConfig, 'portNote' | 'discover'>;

export class ConfigFile {
  constructor(readonly path: string) {}

  exists(): boolean {
    return existsSync(this.path);
  }

  load(): SavedConfig {
    return JSON.parse(readFileSync(this.path, 'utf8')) as SavedConfig;
  }

  save(config: SavedConfig): void {
    writeFileAtomically(this.path, `${JSON.stringify(config, null, 2)}\n`);
  }
}

function savedConfig(options: NodeOptions, kept: KeptConfig): SavedConfig {
  return {
    id: options.id,
    name: options.name ?? options.id,
    listen: options.listen,
    peers: [...options.peers].map(([id, address]) => ({ id, ...address })),
    secret: options.secret,
    join: options.join ?? null,
    ...(kept.portNote === undefined ? {} : { portNote: kept.portNote }),
    ...(kept.discover === undefined ? {} : { discover: kept.discover }),
  };
}

/** Where a data directory goes when it is set aside: next to it, named by why and when. Never deleted. */
function asideName(dataDir: string, why: 'before' | 'failed'): string {
  return `${dataDir}.${why}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
}

/** Time for the crash request's ack to leave before the socket closes (the requester stops retransmitting). */
const CRASH_AFTER_ACK_MS = 100;

const COMMAND_LINE_NOTE = 'This node takes its name and UDP port from the synod-node command line: restart it with another --name or --listen to change them.';

export interface NodeHostOptions {
  /** Where the desktop app keeps the configuration; absent for a headless node (its command line). */
  readonly file?: ConfigFile | null;
  /**
   * Called with the new cluster's secret when a join from the dashboard gave the node a fresh data
   * directory (it exists by then): a headless node keeps that secret there, so that a restart finds
   * it, and moves in the other files it keeps there (its API token).
   */
  readonly onFreshDataDir?: (secret: string) => void;
}

export class NodeHost {
  private listeners = new Set<(event: NodeEvent) => void>();
  private unsubscribe: () => void;

  private readonly file: ConfigFile | null;
  private kept: KeptConfig;
  /** A configuration change or a crash is stopping and starting the replica: no other may begin. */
  private restarting = false;
  /** While down after a crash a member asked for: when the replica starts again (Date.now() ms). */
  private downUntilMs: number | null = null;
  /** The crash under way (crashAndRecover), until its replica runs again. */
  private crashing: Promise<void> | null = null;
  /** Ends a crash's wait early (the host is stopping: it must not wait out the time asked). */
  private wakeFromCrash: (() => void) | null = null;
  private stopped = false;
  /**
   * The last crash request served, per requester: kept here because it must outlive the replica it
   * crashes (a copy replayed to the new one, whose replay window starts afresh, is acked, not obeyed).
   */
  private readonly crashesServed = new Map<string, number>();

  private constructor(
    private current: ReplicaNode,
    private options: NodeOptions,
    private readonly hostOptions: NodeHostOptions,
  ) {
    this.file = hostOptions.file ?? null;
    const saved = this.file?.exists() === true ? this.file.load() : null;
    this.kept = { ...(saved?.portNote === undefined ? {} : { portNote: saved.portNote }), ...(saved?.discover === undefined ? {} : { discover: saved.discover }) };
    this.unsubscribe = this.forward();
  }

  static async start(options: NodeOptions, hostOptions: NodeHostOptions = {}): Promise<NodeHost> {
    return new NodeHost(await ReplicaNode.start(options), options, hostOptions);
  }

  get node(): ReplicaNode {
    if (this.downUntilMs !== null) {
      const inS = Math.max(0, Math.ceil((this.downUntilMs - Date.now()) / 1000));
      throw new NodeError('unavailable', `This node crashed on a member's request (the Scenarios panel) and starts again from its disk in ${inS} s.`);
    }
    return this.current;
  }

  /** Why updateConfig cannot change the name or the port here (a headless node takes them from its command line); null if it can. */
  get readOnlyReason(): string | null {
    return this.file === null ? COMMAND_LINE_NOTE : null;
  }

  /** Why the UDP port is not the usual one, when the first start had to pick another; null otherwise. */
  get portNote(): string | null {
    return this.kept.portNote ?? null;
  }

  /** The UDP port configured (the node may have bound another when it is 0). */
  get listenPort(): number {
    return this.options.listen.port;
  }

  revealSecret(): { secret: string } {
    return { secret: this.options.secret };
  }

  /** Where a new machine can ask to join this node's cluster (with the secret): this member and its peers. */
  inviteAddresses(): string[] {
    if (!this.current.isMember()) throw new NodeError('unavailable', 'This node is not a member of a cluster yet (it is joining): invite new machines from a member.');
    return inviteAddresses(this.current.address(), this.current.peers().map((peer) => peer.address));
  }

  /**
   * Saves the new name or UDP port and restarts the replica with it (its user re-registers under a new
   * name; its peers follow its authenticated datagrams to a new port). A port another program holds is
   * refused before anything stops.
   */
  async updateConfig(update: { readonly name?: string; readonly port?: number }): Promise<void> {
    if (this.file === null) throw new NodeError('unavailable', COMMAND_LINE_NOTE);
    let next: NodeOptions = { ...this.options, ...(update.name === undefined ? {} : { name: update.name }) };
    let kept = this.kept;
    if (update.port !== undefined && update.port !== this.options.listen.port) {
      const problem = await udpPortProblem(this.options.listen.host, update.port);
      if (problem !== null) throw new NodeError('invalid', `The port was not changed: ${problem}. Pick another one.`);
      next = { ...next, listen: { ...this.options.listen, port: update.port } };
      kept = { ...kept, portNote: null };
    }
    await this.restart(next, false, kept);
  }

  /**
   * Leaves this node's cluster for the one of the members at `addresses` (`host:port`, asked in turn),
   * whose secret is `secret`: needs consent (`discardHistory`) when this node has history of its own or
   * is a member of a cluster with others, since both are left behind.
   */
  async join(addresses: readonly string[], secret: string, discardHistory: boolean): Promise<void> {
    const others = (this.current.coreStatus().members ?? []).filter((m) => m.id !== this.options.id).length;
    if (!discardHistory && (this.current.hasHistory() || others > 0)) {
      const what = others > 0 ? `This node is a member of a cluster with ${others} other member${others === 1 ? '' : 's'}` : 'This node holds history of its own (tweets or users of its one-node cluster)';
      throw new NodeError('needs-consent', `${what}. Joining another cluster discards that from this node (its data directory is kept aside, renamed). Confirm to join anyway.`);
    }
    const contacts: HostPort[] = [];
    for (const address of addresses) {
      const contact = parseHostPort(address);
      if (contact === null) throw new NodeError('invalid', `join: "${address}" is not HOST:PORT`);
      contacts.push(contact);
    }
    const next: NodeOptions = { ...this.options, secret, peers: new Map(), join: contacts.length === 1 ? (contacts[0] as HostPort) : contacts };
    await this.restart(next, true, this.kept);
  }

  /**
   * Saves `next`, stops the replica, moves the data directory aside if asked and starts again with
   * `next`; all or nothing. When anything fails on the way (the new replica cannot start: a secret
   * that derives no keys, a full disk), the previous configuration file and data directory come back,
   * the previous replica starts again, and the caller gets the error. Otherwise a configuration that
   * cannot start would be the one found at every launch.
   */
  private async restart(next: NodeOptions, freshDataDir: boolean, kept: KeptConfig): Promise<void> {
    if (this.restarting) throw new NodeError('unavailable', 'The node is restarting already; try again in a moment.');
    this.restarting = true;
    try {
      await this.restartNow(next, freshDataDir, kept);
    } finally {
      this.restarting = false;
    }
  }

  private async restartNow(next: NodeOptions, freshDataDir: boolean, kept: KeptConfig): Promise<void> {
    const previous = this.options;
    let setAside: string | null = null;
    // Atomic: when it fails, the file still holds the previous configuration and nothing else changed.
    this.file?.save(savedConfig(next, kept));
    this.unsubscribe();
    try {
      await this.current.stop();
      if (freshDataDir && existsSync(next.dataDir)) {
        // Another cluster: this directory holds the old cluster's history. Keep it, out of the way.
        setAside = asideName(next.dataDir, 'before');
        renameSync(next.dataDir, setAside);
      }
      if (freshDataDir) this.hostOptions.onFreshDataDir?.(next.secret);
      this.current = await ReplicaNode.start(next);
      this.options = next;
      this.kept = kept;
    } catch (error) {
      await this.rollBack(previous, setAside, error);
    } finally {
      this.unsubscribe = this.forward();
    }
    this.emit({ type: 'state', state: this.current.state() });
  }

  /** Puts back what restart() changed, starts the previous replica again, and throws what went wrong. */
  private async rollBack(previous: NodeOptions, setAside: string | null, cause: unknown): Promise<never> {
    const reason = cause instanceof Error ? cause.message : String(cause);
    try {
      this.file?.save(savedConfig(previous, this.kept));
      if (setAside !== null) {
        // The failed start may have left a directory of its own: gone if empty, else kept aside.
        if (existsSync(previous.dataDir)) removeOrSetAside(previous.dataDir);
        renameSync(setAside, previous.dataDir);
      }
      this.current = await ReplicaNode.start(previous);
    } catch (again) {
      throw new NodeError('failed', `The node could not start with the new configuration (${reason}), nor again with its previous one (${again instanceof Error ? again.message : String(again)}). Restart it.`);
    }
    this.emit({ type: 'state', state: this.current.state() });
    throw new NodeError(cause instanceof NodeError ? cause.kind : 'failed', `The node could not start with the new configuration: ${reason}. Nothing changed: it runs again with its previous configuration and data.`);
  }

  subscribe(listener: (event: NodeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeFromCrash?.();
    await this.crashing;
    this.unsubscribe();
    await this.current.stop();
  }

  /**
   * Serves a member's crash request (cluster-control.ts): once the ack has left, the replica stops
   * with nothing saved beyond what each turn made durable (no checkpoint is written, memory is
   * dropped), and after `downMs` a new one starts from the data directory. A request served already
   * (a retransmission, a replay) is acked and ignored. Why not, or null.
   */
  private crashSoon({ from, requestId, downMs }: CrashRequest): string | null {
    if (this.crashesServed.get(from) === requestId) return null;
    if (this.restarting) return 'it is restarting already';
    this.crashesServed.set(from, requestId);
    (this.options.logger ?? silentLogger).event('crash-asked', { from, downMs });
    this.restarting = true;
    this.downUntilMs = Date.now() + downMs;
    this.crashing = this.crashAndRecover(this.downUntilMs);
    return null;
  }

  private async crashAndRecover(untilMs: number): Promise<void> {
    try {
      await this.waitUnlessStopped(CRASH_AFTER_ACK_MS);
      if (this.stopped) return;
      this.unsubscribe();
      await this.current.crash();
      this.emit({ type: 'down', untilMs });
      await this.waitUnlessStopped(untilMs - Date.now());
      if (this.stopped) return;
      this.current = await ReplicaNode.start(this.options);
      this.unsubscribe = this.forward();
      this.emit({ type: 'state', state: this.current.state() });
    } catch (error) {
      // The data directory did not open (a corrupt file, a full disk): what a process started on it would meet.
      reportFatal(this.options, error);
    } finally {
      this.downUntilMs = null;
      this.crashing = null;
      this.restarting = false;
    }
  }

  /** Waits `ms`, or less if the host stops meanwhile (stop() wakes it). */
  private async waitUnlessStopped(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      this.wakeFromCrash = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeFromCrash = null;
  }

  private forward(): () => void {
    const unsubscribe = this.current.subscribe((event) => this.emit(event));
    this.current.onCrashAsked((request) => this.crashSoon(request));
    return () => {
      unsubscribe();
      this.current.onCrashAsked(null);
    };
  }

  private emit(event: NodeEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** Removes `dir` if it is empty (nothing lost), else moves it aside. */
function removeOrSetAside(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    renameSync(dir, asideName(dir, 'failed'));
  }
}
