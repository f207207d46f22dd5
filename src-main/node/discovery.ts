/**
 * Finding Synod clusters on the local network: this node announces itself (DNS-SD over mDNS, through the
 * `multicast-dns` library; the records are discovery-records.ts's) and remembers the other members it
 * hears, so the Join form can list clusters to pick from.
 *
 * - It asks for `_synod._udp.local` at start and every QUERY_INTERVAL_MS; every node answers for itself
 *   (at most once per MIN_ANSWER_INTERVAL_MS, and unprompted when it starts or what it announces
 *   changes), so a member that vanished without a goodbye (killed, unplugged) is forgotten
 *   FORGET_AFTER_MS after it was last heard.
 * - What it remembers is bounded (MAX_REMEMBERED, the least recently heard go first), and only ever
 *   shown: nothing heard is trusted to do anything. Joining still needs the cluster's secret.
 * - It never stops the node: a socket that cannot be opened (port 5353 refused, no multicast) makes
 *   view() say why, and the node runs on without it.
 */
import makeMdns from 'multicast-dns';
import type { Discovery, HeardMember } from '../../shared/domain';
import { announcementRecords, asksFor, clusterTag, instanceName, readResponse, SERVICE_TYPE, type Announcement, type Heard } from './discovery-records';
import { lanAddresses } from './lan-addresses';
import type { Logger } from './logger';
import type { NodeEvent, NodeState } from './node-state';
import { parseHostPort } from '../net/address';

export const QUERY_INTERVAL_MS = 10_000;
export const FORGET_AFTER_MS = 35_000;
const MAX_REMEMBERED = 64;
/** A query is answered at most this often (RFC 6762 §6): a flood of queries cannot make this node flood the LAN. */
export const MIN_ANSWER_INTERVAL_MS = 1_000;
/** Members listed per cluster at most. */
const MAX_HEARD_PER_CLUSTER = 8;
/** Clusters listed at most. */
const MAX_CLUSTERS = 16;

/** The part of a multicast-dns instance used here (a fake stands in for it in tests). */
export type Mdns = Pick<makeMdns.MulticastDNS, 'query' | 'respond' | 'destroy' | 'on'>;

export interface DiscoveryOptions {
  readonly logger: Logger;
  /** Opens the mDNS socket; default: multicast-dns on 224.0.0.251:5353. */
  readonly open?: () => Mdns;
  readonly now?: () => number;
  /** This machine's IPv4 LAN addresses (A records). */
  readonly addresses?: () => string[];
}

interface Remembered {
  readonly heard: Heard;
  heardAt: number;
}

export class LanDiscovery {
  private readonly mdns: Mdns;
  private readonly remembered = new Map<string, Remembered>();
  private own: Announcement | null = null;
  private problem: string | null = null;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly now: () => number;
  private readonly addresses: () => string[];
  private stopped = false;
  private answeredAt = -Infinity;

  constructor(private readonly options: DiscoveryOptions) {
    this.now = options.now ?? Date.now;
    this.addresses = options.addresses ?? lanAddresses;
    this.mdns = (options.open ?? (() => makeMdns()))();
    this.mdns.on('error', (error: Error) => this.fail(error));
    // Malformed packets and per-interface hiccups: not this node's problem.
    this.mdns.on('warning', () => undefined);
    this.mdns.on('response', (packet: makeMdns.ResponsePacket, rinfo: { address: string }) => this.onResponse(packet, rinfo.address));
    this.mdns.on('query', (packet: makeMdns.QueryPacket) => {
      if (this.own === null || !asksFor(packet.questions ?? [], this.own) || this.now() - this.answeredAt < MIN_ANSWER_INTERVAL_MS) return;
      this.announceNow();
    });
    this.query();
    this.timer = setInterval(() => this.query(), QUERY_INTERVAL_MS);
    this.timer.unref();
  }

  /** Announces `announcement` from now on (null: nothing; the previous one says goodbye). */
  announce(announcement: Announcement | null): void {
    const previous = this.own;
    if (sameAnnouncement(previous, announcement)) return;
    if (previous !== null && (announcement === null || instanceName(previous) !== instanceName(announcement))) this.goodbye(previous);
    this.own = announcement;
    if (announcement !== null) this.announceNow();
  }

  /** What the Peers page shows: the other clusters heard lately, the latest first. */
  view(): Discovery {
    if (this.stopped || this.problem !== null) return { enabled: false, note: this.problem, clusters: [] };
    const now = this.now();
    this.forgetOld(now);
    const ownTag = this.own?.tag ?? null;
    const clusters = new Map<string, { members: number; heard: HeardMember[]; lastHeardAt: number }>();
    for (const { heard, heardAt } of [...this.remembered.values()].sort((a, b) => b.heardAt - a.heardAt)) {
      const { tag, members, id, name } = heard.announcement;
      if (tag === ownTag) continue;
      const cluster = clusters.get(tag) ?? { members, heard: [], lastHeardAt: heardAt };
      clusters.set(tag, cluster);
      cluster.members = Math.max(cluster.members, members);
      if (cluster.heard.length < MAX_HEARD_PER_CLUSTER && !cluster.heard.some((member) => member.id === id)) cluster.heard.push({ id, name, address: heard.address });
    }
    return {
      enabled: true,
      note: null,
      // Members by id, so that the list does not reorder itself as announcements come in.
      clusters: [...clusters.entries()].slice(0, MAX_CLUSTERS).map(([tag, cluster]) => ({ tag, members: cluster.members, heard: cluster.heard.sort((a, b) => (a.id < b.id ? -1 : 1)), lastHeardMs: now - cluster.lastHeardAt })),
    };
  }

  /** Says goodbye and closes the socket. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    clearInterval(this.timer);
    if (this.own !== null && this.problem === null) await new Promise<void>((done) => this.mdns.respond(announcementRecords(this.own as Announcement, [], 0), () => done()));
    this.stopped = true;
    await new Promise<void>((done) => this.mdns.destroy(() => done()));
  }

  private query(): void {
    if (this.stopped || this.problem !== null) return;
    this.mdns.query([{ name: SERVICE_TYPE, type: 'PTR' }], (error) => {
      if (error !== null && error !== undefined) this.fail(error);
    });
  }

  private announceNow(): void {
    if (this.own === null || this.stopped || this.problem !== null) return;
    this.answeredAt = this.now();
    this.mdns.respond(announcementRecords(this.own, this.addresses()), (error) => {
      if (error !== null && error !== undefined) this.fail(error);
    });
  }

  private goodbye(announcement: Announcement): void {
    if (this.stopped || this.problem !== null) return;
    this.mdns.respond(announcementRecords(announcement, [], 0));
  }

  private onResponse(packet: makeMdns.ResponsePacket, source: string): void {
    const { heard, goodbyes } = readResponse([...(packet.answers ?? []), ...(packet.additionals ?? [])], source);
    for (const instance of goodbyes) this.remembered.delete(instance);
    const now = this.now();
    for (const one of heard) {
      if (this.own !== null && one.instance === instanceName(this.own).toLowerCase()) continue;
      this.remembered.delete(one.instance); // re-inserted as the most recent
      this.remembered.set(one.instance, { heard: one, heardAt: now });
    }
    for (const oldest of this.remembered.keys()) {
      if (this.remembered.size <= MAX_REMEMBERED) break;
      this.remembered.delete(oldest);
    }
  }

  private forgetOld(now: number): void {
    for (const [instance, entry] of this.remembered) if (now - entry.heardAt > FORGET_AFTER_MS) this.remembered.delete(instance);
  }

  private fail(error: Error): void {
    if (this.problem !== null) return;
    this.problem = `Finding clusters on the local network does not work here: ${error.message}. Enter a member's address instead.`;
    this.options.logger.event('discovery-failed', { reason: error.message });
  }
}

function sameAnnouncement(a: Announcement | null, b: Announcement | null): boolean {
  return a === b || (a !== null && b !== null && a.id === b.id && a.name === b.name && a.tag === b.tag && a.members === b.members && a.port === b.port);
}

/** What a node announces, from its state: only a member of a cluster announces it. */
export function announcementOf(state: NodeState): Announcement | null {
  const members = state.core.members;
  const port = parseHostPort(state.address)?.port;
  if (!state.isMember || members === null || port === undefined) return null;
  return { id: state.id, name: state.name, tag: clusterTag(state.clusterId), members: members.length, port };
}

/** Keeps `discovery` announcing what `host`'s node is now (a restart, a join, a new member, a rename). */
export function announceHost(discovery: LanDiscovery, host: { readonly node: { state(): NodeState }; subscribe(listener: (event: NodeEvent) => void): () => void }): () => void {
  discovery.announce(announcementOf(host.node.state()));
  return host.subscribe((event) => {
    if (event.type === 'state') discovery.announce(announcementOf(event.state));
  });
}
