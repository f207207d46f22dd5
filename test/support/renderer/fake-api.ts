/**
 * A test double of SynodApi for renderer tests: an in-memory micro-blog node whose state tests set
 * directly (`statusValue`, `userList`, `entries`, `configValue`, `secret`), whose every call is recorded
 * in `calls`, and any of whose methods a test can replace (`fake.override.tweet = ...`) to make it
 * slow, fail or answer something else; `fake.hold(method)` holds its calls until the test releases them.
 * `emit()` pushes events to subscribers like a real node.
 *
 * Defaults behave like a healthy member of a three-node cluster (alice, bob, carol; carol unreachable):
 * tweet/block/unblock apply at once, take the next slot and emit a `chosen` event; updateConfig merges
 * and returns the new configuration; removeMember checks like the node (last member, one change at a
 * time, majority of reachable members unless `force`) and marks the change pending; join asks for
 * consent when the node has history, then shows join progress in the status; inviteCode encodes the
 * secret with this node's and its peers' addresses; discovered answers `discoveryValue`; clusterTrace
 * answers `clusterTraceValue` (the messages after `afterSeq`), by default a trace of this node alone;
 * clusterFaults keeps what each member was asked to hold in `memberFaults` (deleted by ttlMs 0);
 * campaignNow makes the member the leader at the next round; crashMember records the request in
 * `crashes` and shows the member unreachable (tests bring it back with pushStatus).
 */
import {
  API_METHODS,
  ApiError,
  type ApiErrorBody,
  type ApiMethodName,
  type ApiMethods,
  type ApiResponse,
  type ClusterTrace,
  type Discovery,
  type Faults,
  type JoinProgress,
  type MembershipView,
  type MemberView,
  type NodeConfig,
  type NodeStatus,
  type PeerStatus,
  type SynodApi,
  type SynodEvent,
  type RecoveryReport,
  type TimelineEntry,
  type UserView,
} from '../../../shared/api';
import { encodeInviteCode } from '../../../shared/invite-code';
import type { SynodBridge } from '../../../shared/ipc';
import { deferred } from '../deferred';

type Handler<M extends ApiMethodName> = (args: ApiMethods[M]['args']) => Promise<ApiMethods[M]['result']>;
/** A replacement for a method; `original` is the fake's own behaviour, to wrap it (delay it, ...). */
type Override<M extends ApiMethodName> = (args: ApiMethods[M]['args'], original: Handler<M>) => Promise<ApiMethods[M]['result']>;
export type Overrides = { [M in ApiMethodName]?: Override<M> };

export interface RecordedCall {
  readonly method: ApiMethodName;
  readonly args: unknown;
}

export const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

const DELAY_SLOTS = 64;

/** The members of the fake's own cluster: this node (alice), bob and carol. */
export const ALICE: MemberView = { id: 'alice', address: '127.0.0.1:7400' };
export const BOB: MemberView = { id: 'bob', address: '127.0.0.1:7401' };
export const CAROL: MemberView = { id: 'carol', address: '127.0.0.1:7402' };

/** A membership view: `members` in the configuration (this node a member when listed). */
export function makeMembership(selfId: string, members: readonly MemberView[] | null, overrides: Partial<MembershipView> = {}): MembershipView {
  return { members, isMember: members?.some((m) => m.id === selfId) === true, pending: null, delaySlots: DELAY_SLOTS, joining: null, ...overrides };
}

/**
 * A status; unless given, `membership` lists this node and its `peers` as the configuration, so a test
 * that changes `peers` gets the matching members.
 */
export function makeStatus(overrides: Partial<NodeStatus> = {}): NodeStatus {
  const id = overrides.id ?? ALICE.id;
  const address = overrides.address ?? ALICE.address;
  const peers = overrides.peers ?? [makePeerStatus({ ...BOB, lastHeardMs: 2_000 }), makePeerStatus({ ...CAROL, reachable: false, lastHeardMs: null })];
  const members = [{ id, address }, ...peers.map((peer) => ({ id: peer.id, address: peer.address }))];
  return {
    id,
    name: 'Alice',
    clusterId: 'c0ffee',
    address,
    version: '0.1.0',
    role: 'leader',
    leader: 'alice',
    ballot: { round: 3, node: 'alice' },
    promised: { round: 3, node: 'alice' },
    commitIndex: 10,
    appliedIndex: 10,
    compactedThrough: 0,
    pendingCommands: 0,
    peers,
    dropped: {},
    warnings: [],
    elections: [],
    startedAt: NOW - 60_000,
    metrics: {
      fsyncs: 0,
      journalBytes: 0,
      datagramsIn: 0,
      datagramsOut: 0,
      bytesIn: 0,
      bytesOut: 0,
      checkpoints: 0,
      lastCheckpointStallMs: 0,
      commandsApplied: 10,
      recentCommitLatencyMs: null,
      eventLoopDelayMaxMs: 0,
      memory: { rssBytes: 90e6, heapUsedBytes: 20e6, externalBytes: 40e6, arrayBuffersBytes: 38e6 },
      eventLoopDelayP99Ms: 0,
    },
    membership: makeMembership(id, members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))),
    recovery: makeRecovery(),
    remoteFaults: [],
    ...overrides,
  };
}

/** A recovery report; by default a brand-new node's (nothing on its disk yet, caught up). */
export function makeRecovery(overrides: Partial<RecoveryReport> = {}): RecoveryReport {
  return { at: NOW - 60_000, ms: 12, checkpointSlot: 0, checkpointBytes: 0, journalRecords: 0, replayedSlots: null, tornTailTruncated: false, learnedFromPeers: null, snapshotInstalled: false, caughtUp: true, ...overrides };
}

export function makePeerStatus(overrides: Partial<PeerStatus> & { id: string }): PeerStatus {
  return { address: '127.0.0.1:7401', reachable: true, lastHeardMs: 500, commitIndex: 10, ...overrides };
}

export function makeUser(id: string, overrides: Partial<UserView> = {}): UserView {
  return { id, name: id.charAt(0).toUpperCase() + id.slice(1), registeredSlot: 1, blocks: [], blockedBy: [], ...overrides };
}

export function makeEntry(slot: number, overrides: Partial<TimelineEntry> = {}): TimelineEntry {
  const author = overrides.author ?? 'bob';
  return { id: `${author}/${slot}`, author, authorName: author.charAt(0).toUpperCase() + author.slice(1), text: `tweet in slot ${slot}`, slot, position: 0, at: NOW - 1_000 * (100 - slot), ...overrides };
}

export class FakeApi implements SynodApi {
  statusValue: NodeStatus = makeStatus();
  userList: UserView[] = [makeUser('alice'), makeUser('bob'), makeUser('carol')];
  /** Newest first, as the node returns them. */
  entries: TimelineEntry[] = [];
  configValue: NodeConfig = {
    id: 'alice',
    name: 'Alice',
    address: ALICE.address,
    peers: [BOB, CAROL],
    editable: true,
    note: null,
    hasHistory: true,
    port: 7400,
    portNote: null,
  };
  secret = 'correct horse battery staple';
  discoveryValue: Discovery = { enabled: true, note: null, clusters: [] };
  faultsValue = { dropRate: 0, delayMs: 0, isolate: [] as readonly string[] };
  readonly calls: RecordedCall[] = [];
  readonly override: Overrides = {};
  private readonly listeners = new Set<(event: SynodEvent) => void>();
  private nextSlot = 100;

  /** The calls made to `method`, oldest first (their arguments). */
  callsOf(method: ApiMethodName): unknown[] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  /**
   * Holds every call to `method` until the test calls the returned function (to see the page while the
   * node has not answered); each then does what the fake does.
   */
  hold<M extends ApiMethodName>(method: M): () => void {
    const gate = deferred<void>();
    const held: Override<M> = async (args, original) => {
      await gate.promise;
      return original(args);
    };
    this.override[method] = held as Overrides[M];
    return () => gate.resolve();
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** Delivers `event` to every subscriber, as the node would. */
  emit(event: SynodEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Replaces the status and pushes it to subscribers, as the node does when something changed. */
  pushStatus(overrides: Partial<NodeStatus>): void {
    this.statusValue = { ...this.statusValue, ...overrides };
    this.emit({ type: 'status', status: this.statusValue });
  }

  /** Shows join progress in the status (and pushes it). */
  setJoining(joining: JoinProgress | null): void {
    this.pushStatus({ membership: { ...this.statusValue.membership, joining } });
  }

  /** Takes the next slot and tells subscribers it was chosen. */
  choose(): number {
    const slot = this.nextSlot++;
    this.emit({ type: 'chosen', fromSlot: slot, toSlot: slot });
    return slot;
  }

  subscribe(listener: (event: SynodEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  readonly status = (): Promise<NodeStatus> => this.run('status', undefined, async () => this.statusValue);

  readonly tweet = (args: { readonly text: string }) =>
    this.run('tweet', args, async ({ text }) => {
      const slot = this.nextSlot;
      const me = this.statusValue;
      const entry: TimelineEntry = { id: `${me.id}/${slot}`, author: me.id, authorName: me.name, text, slot, position: 0, at: NOW };
      this.entries = [entry, ...this.entries];
      this.choose();
      return { id: entry.id, slot };
    });

  readonly block = (args: { readonly user: string }) => this.run('block', args, async ({ user }) => this.setBlock(user, true));

  readonly unblock = (args: { readonly user: string }) => this.run('unblock', args, async ({ user }) => this.setBlock(user, false));

  readonly timeline = (args: ApiMethods['timeline']['args']) =>
    this.run('timeline', args, async (a) => {
      const limit = a?.limit ?? 50;
      const before = a?.before;
      const older = before === undefined ? this.entries : this.entries.filter((e) => e.slot < before.slot || (e.slot === before.slot && e.position < before.position));
      return older.slice(0, limit);
    });

  readonly users = (): Promise<readonly UserView[]> => this.run('users', undefined, async () => this.userList);

  readonly log = (args: ApiMethods['log']['args']) => this.run('log', args, async () => ({ firstSlot: 1, commitIndex: this.statusValue.commitIndex, entries: [] }));

  readonly peers = (): Promise<readonly PeerStatus[]> => this.run('peers', undefined, async () => this.statusValue.peers);

  readonly faults = () => this.run('faults', undefined, async () => this.faultsValue);

  readonly setFaults = (args: ApiMethods['setFaults']['args']) =>
    this.run('setFaults', args, async (a) => {
      this.faultsValue = { ...this.faultsValue, ...a };
      return this.faultsValue;
    });

  readonly config = (): Promise<NodeConfig> => this.run('config', undefined, async () => this.configValue);

  readonly updateConfig = (args: ApiMethods['updateConfig']['args']) =>
    this.run('updateConfig', args, async (a) => {
      if (!this.configValue.editable) throw new ApiError({ code: 'unavailable', message: this.configValue.note ?? 'not editable' });
      this.configValue = { ...this.configValue, ...(a.name === undefined ? {} : { name: a.name }), ...(a.port === undefined ? {} : { port: a.port, portNote: null, address: `0.0.0.0:${a.port}` }) };
      return this.configValue;
    });

  readonly join = (args: ApiMethods['join']['args']) =>
    this.run('join', args, async ({ address: given, secret, discardHistory }) => {
      const address = typeof given === 'string' ? given : given.join(', ');
      if (this.configValue.hasHistory && discardHistory !== true) {
        throw new ApiError({ code: 'needs-confirmation', message: 'This node has its own history; joining another cluster discards it.' });
      }
      this.secret = secret;
      this.configValue = { ...this.configValue, peers: [], hasHistory: false };
      this.pushStatus({
        peers: [],
        membership: makeMembership(this.statusValue.id, null, { joining: { contact: address, stage: 'contacting', message: `Asking ${address} to add this node.` } }),
      });
      return this.configValue;
    });

  readonly removeMember = (args: ApiMethods['removeMember']['args']) =>
    this.run('removeMember', args, async ({ id, force }) => {
      const { membership, peers } = this.statusValue;
      const members = membership.members ?? [];
      if (!members.some((m) => m.id === id)) throw new ApiError({ code: 'invalid-argument', message: `removeMember: ${id} is not a member` });
      if (members.length === 1) throw new ApiError({ code: 'invalid-argument', message: `removeMember: ${id} is the last member` });
      if (membership.pending !== null) throw new ApiError({ code: 'rejected', message: 'removeMember: another membership change is pending' });
      const remaining = members.filter((m) => m.id !== id);
      const reachable = remaining.filter((m) => m.id === this.statusValue.id || peers.some((p) => p.id === m.id && p.reachable)).length;
      if (reachable <= remaining.length / 2 && force !== true) {
        throw new ApiError({ code: 'needs-confirmation', message: `Without ${id}, only ${reachable} of ${remaining.length} members are reachable: no majority.` });
      }
      const slot = this.choose();
      const effectiveSlot = slot + membership.delaySlots;
      this.pushStatus({ membership: { ...membership, pending: { members: remaining, fromSlot: effectiveSlot, changedAt: slot } } });
      return { id: `${this.statusValue.id}/${slot}`, slot, effectiveSlot };
    });

  readonly revealSecret = () => this.run('revealSecret', undefined, async () => ({ secret: this.secret }));

  /** A code of the current secret listing this node and its peers. */
  readonly inviteCode = () =>
    this.run('inviteCode', undefined, async () => {
      const addresses = [this.statusValue.address, ...this.statusValue.peers.map((peer) => peer.address)];
      return { code: encodeInviteCode({ addresses, secret: this.secret }), addresses };
    });

  readonly discovered = () => this.run('discovered', undefined, async () => this.discoveryValue);

  /** What clusterTrace answers; null: this node alone is traced (as when no other member answers). */
  clusterTraceValue: ClusterTrace | null = null;

  readonly clusterTrace = (args: ApiMethods['clusterTrace']['args']) =>
    this.run('clusterTrace', args, async (a) => {
      const trace = this.clusterTraceValue ?? {
        members: [{ id: this.statusValue.id, offsetMs: 0, uncertaintyMs: 0, leaseActive: true, skipped: 0, lostBatches: 0 }],
        messages: [],
        skipped: 0,
        lastSeq: 0,
        keptMs: 180_000,
        served: { leases: 0, batches: 0, records: 0, bytes: 0, skipped: 0 },
      };
      return { ...trace, messages: trace.messages.filter((m) => m.seq > (a?.afterSeq ?? 0)) };
    });

  /** The faults each member was last asked to hold through clusterFaults (none: not there). */
  readonly memberFaults = new Map<string, { readonly faults: Faults; readonly ttlMs: number }>();

  readonly clusterFaults = (args: ApiMethods['clusterFaults']['args']) =>
    this.run('clusterFaults', args, async ({ member, faults, ttlMs }) => {
      if (ttlMs === 0) this.memberFaults.delete(member);
      else this.memberFaults.set(member, { faults, ttlMs });
      return { member, faults: ttlMs === 0 ? { dropRate: 0, delayMs: 0, isolate: [] } : faults, ttlMs };
    });

  readonly campaignNow = (args: ApiMethods['campaignNow']['args']) =>
    this.run('campaignNow', args, async ({ member }) => {
      const round = this.statusValue.ballot.round + 1;
      this.pushStatus({ leader: member, role: member === this.statusValue.id ? 'leader' : 'follower', ballot: { round, node: member } });
      return { member };
    });

  /** Every crashMember request, in order. */
  readonly crashes: ApiMethods['crashMember']['args'][] = [];

  readonly crashMember = (args: ApiMethods['crashMember']['args']) =>
    this.run('crashMember', args, async ({ member, downMs }) => {
      this.crashes.push({ member, downMs });
      this.pushStatus({ peers: this.statusValue.peers.map((peer) => (peer.id === member ? { ...peer, reachable: false } : peer)) });
      return { member, downMs };
    });

  private setBlock(target: string, blocked: boolean): { id: string; slot: number } {
    const me = this.statusValue.id;
    if (!this.userList.some((u) => u.id === target)) throw new ApiError({ code: 'rejected', message: `There is no user ${target}.` });
    this.userList = this.userList.map((user) => {
      if (user.id === me) return { ...user, blocks: blocked ? [...new Set([...user.blocks, target])] : user.blocks.filter((id) => id !== target) };
      if (user.id === target) return { ...user, blockedBy: blocked ? [...new Set([...user.blockedBy, me])] : user.blockedBy.filter((id) => id !== me) };
      return user;
    });
    const slot = this.choose();
    return { id: `${me}/${slot}`, slot };
  }

  private run<M extends ApiMethodName>(method: M, args: ApiMethods[M]['args'], fallback: Handler<M>): Promise<ApiMethods[M]['result']> {
    this.calls.push({ method, args });
    const override: Override<M> | undefined = this.override[method];
    return override === undefined ? fallback(args) : override(args, fallback);
  }
}


export function apiError(body: ApiErrorBody): ApiError {
  return new ApiError(body);
}

/**
 * The preload's `window.synod` bridge in front of `api`, so a test can render the whole App (which
 * calls connectApi()) against a fake node.
 */
export function bridgeFor(api: SynodApi): SynodBridge {
  const calls = api as unknown as Readonly<Record<ApiMethodName, (args: unknown) => Promise<unknown>>>;
  const bridge: Record<string, unknown> = {
    onEvent: (listener: (event: SynodEvent) => void) => api.subscribe(listener),
  };
  for (const method of API_METHODS) {
    bridge[method] = async (args: unknown): Promise<ApiResponse<unknown>> => {
      try {
        return { result: await calls[method](args) };
      } catch (error) {
        if (error instanceof ApiError) return { error: error.toBody() };
        throw error;
      }
    };
  }
  return bridge as unknown as SynodBridge;
}
