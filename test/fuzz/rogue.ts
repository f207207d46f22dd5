/**
 * The rogue member's network end: one UDP socket on loopback from which it seals and sends the
 * generator's actions as any identity, captures every datagram sent to it (its own member traffic, and
 * traffic meant for members it impersonated, whose address then points here), replays what it
 * captured or sent, and hands the prepares and snapshot requests addressed to it to the caller, which
 * answers them.
 *
 * It never throws while sending: a message the codec refuses, or one too large to send, is a generator
 * bug and is counted as `unsendable`; socket errors are counted as `sendErrors`.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { NodeId } from '../../src-main/core/types';
import { decodePayload, encodeBundle, encodeMessage } from '../../src-main/net/codec';
import { splitMessage } from '../../src-main/net/fragments';
import { deriveClusterKeys, type ClusterKeys } from '../../src-main/net/keys';
import { membersDigest, Opener, type Sealer } from '../../src-main/net/seal';
import type { HostPort } from '../../src-main/net/address';
import type { WireMessage } from '../../src-main/net/wire';
import type { HostileAction, RawFragment } from './hostile-messages';
import { createRogueSealer } from './rogue-sealer';

/** Datagrams kept for replay, captured and own each. */
const KEPT_DATAGRAMS = 4_096;
const MAX_EPOCH = 0xffffffff;

export interface RogueOptions {
  readonly secret: string;
  /** The rogue's own node id. */
  readonly self: NodeId;
  /** The real members and their UDP addresses. */
  readonly members: ReadonlyMap<NodeId, HostPort>;
  /** The epoch a real member's current process uses (read from its data directory). */
  readonly realEpoch: (id: NodeId) => number;
  /** A message addressed to an identity the rogue holds, decoded from a captured datagram. */
  readonly onMessage: (message: WireMessage) => void;
}

export interface RogueStats {
  readonly messagesByType: Readonly<Record<string, number>>;
  readonly actionsByAttack: Readonly<Record<string, number>>;
  readonly datagramsSent: number;
  readonly bytesSent: number;
  readonly captured: number;
  readonly replayed: number;
  /** Actions sealed as a real member (impersonation). */
  readonly impersonated: number;
  readonly unsendable: number;
  readonly sendErrors: number;
  /** The first few unsendable messages, for the report. */
  readonly unsendableExamples: readonly string[];
}

interface Kept {
  readonly datagram: Uint8Array;
  readonly host: string;
  readonly port: number;
}

interface Identity {
  sealer: Sealer;
  epoch: number;
  nextMessageId: number;
}

export class Rogue {
  private readonly keys: ClusterKeys;
  private readonly identities = new Map<NodeId, Identity>();
  private readonly opener: Opener;
  private readonly captured = new KeptRing();
  private readonly own = new KeptRing();
  private readonly messagesByType: Record<string, number> = {};
  private readonly actionsByAttack: Record<string, number> = {};
  private readonly unsendableExamples: string[] = [];
  /** Real members the rogue sealed as, and when it last did. */
  private readonly victims = new Map<NodeId, number>();
  private memberIds: ReadonlySet<NodeId>;
  private digest: number;
  private datagramsSent = 0;
  private bytesSent = 0;
  private capturedCount = 0;
  private replayed = 0;
  private impersonated = 0;
  private unsendable = 0;
  private sendErrors = 0;
  private closed = false;

  private constructor(
    private readonly options: RogueOptions,
    private readonly socket: Socket,
  ) {
    this.keys = deriveClusterKeys(options.secret);
    this.memberIds = new Set(options.members.keys());
    this.digest = membersDigest([options.self, ...options.members.keys()]);
    // Opens what others sent to the rogue (to react to it); its replay windows are its own.
    this.opener = new Opener(this.keys.key, this.keys.clusterId);
    this.opener.setMembers(this.memberIds);
    socket.on('message', this.onDatagram);
    socket.on('error', () => this.sendErrors++);
  }

  static async open(options: RogueOptions): Promise<Rogue> {
    const socket = createSocket('udp4');
    await new Promise<void>((done, fail) => {
      socket.once('error', fail);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', fail);
        done();
      });
    });
    return new Rogue(options, socket);
  }

  get address(): HostPort {
    const { address, port } = this.socket.address();
    return { host: address, port };
  }

  /** The configuration changed: later datagrams advertise its digest, and its members are opened as such. */
  setMembers(ids: readonly NodeId[]): void {
    this.memberIds = new Set(ids.filter((id) => id !== this.options.self));
    this.opener.setMembers(this.memberIds);
    this.digest = membersDigest(ids);
    for (const identity of this.identities.values()) identity.sealer.setMembersDigest(this.digest);
  }

  perform(action: HostileAction): void {
    if (this.closed) return;
    this.actionsByAttack[action.attack] = (this.actionsByAttack[action.attack] ?? 0) + 1;
    if (action.kind !== 'replay' && this.options.members.has(action.sealAs)) {
      this.impersonated++;
      this.victims.set(action.sealAs, performance.now());
    }
    const address = action.to === null ? null : this.options.members.get(action.to);
    switch (action.kind) {
      case 'send':
        if (address !== undefined && address !== null) this.sendMessages(action.sealAs, action.freshEpoch, address, action.messages, action.fragmentBytes);
        return;
      case 'fragments':
        if (address !== undefined && address !== null) this.sendFragments(action.sealAs, address, action.pieces);
        return;
      case 'replay':
        return this.replay(action.source, action.position, address ?? null);
    }
  }

  /**
   * Real members the rogue impersonated and then left alone for `quietMs`: their peers drop them until
   * they restart. Each is returned once (until impersonated again); those in `except` (being restarted
   * already) wait for a later call.
   */
  takeQuietVictims(quietMs: number, except: ReadonlySet<NodeId>): NodeId[] {
    const now = performance.now();
    const quiet = [...this.victims].filter(([id, lastMs]) => now - lastMs >= quietMs && !except.has(id)).map(([id]) => id);
    for (const id of quiet) this.victims.delete(id);
    return quiet;
  }

  stats(): RogueStats {
    return {
      messagesByType: { ...this.messagesByType },
      actionsByAttack: { ...this.actionsByAttack },
      datagramsSent: this.datagramsSent,
      bytesSent: this.bytesSent,
      captured: this.capturedCount,
      replayed: this.replayed,
      impersonated: this.impersonated,
      unsendable: this.unsendable,
      sendErrors: this.sendErrors,
      unsendableExamples: [...this.unsendableExamples],
    };
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.socket.off('message', this.onDatagram);
    return new Promise((done) => this.socket.close(() => done()));
  }

  private sendMessages(sealAs: NodeId, freshEpoch: boolean, to: HostPort, messages: readonly WireMessage[], fragmentBytes: number): void {
    const identity = this.identity(sealAs, freshEpoch);
    let payload: Uint8Array;
    let pieces: Uint8Array[];
    try {
      const encoded = messages.map((message) => encodeMessage(message));
      payload = encoded.length === 1 ? (encoded[0] as Uint8Array) : encodeBundle(encoded);
      pieces = splitMessage(payload, fragmentBytes - identity.sealer.overheadBytes);
    } catch (error) {
      this.unsendable++;
      if (this.unsendableExamples.length < 5) this.unsendableExamples.push(`${messages.map((m) => m.type).join('+')}: ${String(error)}`);
      return;
    }
    for (const message of messages) this.messagesByType[message.type] = (this.messagesByType[message.type] ?? 0) + 1;
    const messageId = this.takeMessageId(identity);
    pieces.forEach((piece, index) => this.transmit(identity.sealer.seal({ messageId, index, count: pieces.length }, piece), to, true));
  }

  private sendFragments(sealAs: NodeId, to: HostPort, pieces: readonly RawFragment[]): void {
    const identity = this.identity(sealAs, false);
    this.messagesByType['(raw fragment)'] = (this.messagesByType['(raw fragment)'] ?? 0) + pieces.length;
    for (const piece of pieces) this.transmit(identity.sealer.seal({ messageId: piece.messageId, index: piece.index, count: piece.count }, piece.data), to, true);
  }

  private replay(source: 'captured' | 'own', position: number, to: HostPort | null): void {
    const item = (source === 'captured' ? this.captured : this.own).at(position);
    if (item === undefined) return;
    this.replayed++;
    // A captured datagram with no destination given goes back to its sender.
    this.transmit(item.datagram, to ?? { host: item.host, port: item.port }, false);
  }

  private transmit(datagram: Uint8Array, to: HostPort, keep: boolean): void {
    if (keep) this.own.add({ datagram, host: to.host, port: to.port });
    this.datagramsSent++;
    this.bytesSent += datagram.length;
    try {
      this.socket.send(datagram, to.port, to.host, (error) => {
        if (error) this.sendErrors++;
      });
    } catch {
      this.sendErrors++;
    }
  }

  /**
   * The sealer for `id`; a fresh one when asked or when there is none: a new life (new boot salt) at an
   * epoch just above the real owner's current one and the rogue's previous one. Just above, not far:
   * receivers then drop the real owner only until its next restart (a clock-based epoch), which is what
   * any impersonation by a holder of the secret costs; a far epoch would mute it for that long.
   */
  private identity(id: NodeId, fresh: boolean): Identity {
    const existing = this.identities.get(id);
    if (existing !== undefined && !fresh) return existing;
    const real = this.options.members.has(id) ? this.options.realEpoch(id) : 0;
    const epoch = Math.min(MAX_EPOCH, Math.max(real, existing?.epoch ?? 0) + 1);
    const identity: Identity = { sealer: createRogueSealer(this.keys, id, epoch, this.digest), epoch, nextMessageId: 0 };
    this.identities.set(id, identity);
    return identity;
  }

  private takeMessageId(identity: Identity): number {
    const id = identity.nextMessageId;
    identity.nextMessageId = (identity.nextMessageId + 1) % 2 ** 31;
    return id;
  }

  private readonly onDatagram = (datagram: Buffer, rinfo: RemoteInfo): void => {
    this.capturedCount++;
    const bytes = new Uint8Array(datagram);
    this.captured.add({ datagram: bytes, host: rinfo.address, port: rinfo.port });
    const opened = this.opener.open(bytes);
    // Only single-datagram messages are reacted to: prepares and snapshot requests are small.
    if (!opened.ok || opened.fragment.count !== 1) return;
    let messages: WireMessage[];
    try {
      messages = decodePayload(opened.plaintext);
    } catch {
      return;
    }
    for (const message of messages) this.options.onMessage(message);
  };
}

/** The last KEPT_DATAGRAMS datagrams, overwritten in a ring. */
class KeptRing {
  private readonly items: Kept[] = [];
  private written = 0;

  add(item: Kept): void {
    this.items[this.written % KEPT_DATAGRAMS] = item;
    this.written++;
  }

  /** The item at `position` in [0, 1) of those kept, if any. */
  at(position: number): Kept | undefined {
    return this.items[Math.floor(position * this.items.length)];
  }
}
