/**
 * The replica's network: WireMessages over one UDP socket, encoded (codec.ts), fragmented
 * (fragments.ts) and sealed (seal.ts). Delivery is best effort, as Paxos assumes: messages may be
 * lost, duplicated by the protocol's own retransmissions, or reordered; never forged or altered. A
 * captured datagram is a replay and is dropped, with one limit: after this node restarts, a datagram
 * from a peer's current epoch (the one it was using when this node stopped) is accepted once
 * (peer-epochs.ts keeps only epochs, not windows), which Paxos tolerates like any duplicate.
 *
 * Invariants:
 *  - A peer is its node id, not its address. A member's address moves only after path validation
 *    (as in QUIC): an authenticated message from a member arriving from another address is delivered,
 *    but the peer stays where it was and a `ping` carrying a random 64-bit challenge goes to the new
 *    address; the peer moves there only when an authenticated ping echoing that challenge comes back
 *    from there. A replayed datagram therefore cannot move a peer: whoever replays cannot seal the echo.
 *    One challenge is outstanding per peer, and a new one is sent at most every PATH_CHALLENGE_INTERVAL_MS.
 *    Challenges and echoes are the transport's own: answered or checked here, never delivered.
 *  - From a sender that is not a member only a sealed `join` or `joinReply` is accepted (it holds the
 *    secret); everything else is dropped ('unknown-sender'). Such a stranger is answered at the address
 *    it wrote from (a member that left stays unable to replay its way back in: seal.ts).
 *  - onMessage sees only messages that authenticated, reassembled, decoded, come `from` their
 *    authenticated sender and are addressed `to` this node. It is called synchronously from the
 *    socket's 'message' event, in arrival order; the caller queues. Everything else is counted by reason
 *    in stats().dropped and goes nowhere; hostile input never throws.
 *  - send() and sendAll() never throw. A message that cannot be sent (not from this node, not
 *    encodable, or larger than the transport carries) is counted in stats().dropped ('not-from-self',
 *    'unencodable', 'too-large'), reported through onSendError, and the other messages still go.
 *    Socket errors are counted in sendErrors.
 *  - Injected faults (setFaults) are reversible: setting them back to none restores normal delivery.
 *    Cluster control (wire.ts isControlTraffic) is exempt from them, both ways, and never delayed: the
 *    dashboard that isolated a member must be able to reach it to heal it.
 *
 * dgram-as-promised is used for bind and close only: its recv() does not buffer (datagrams arriving
 * between two recv() calls are lost) and its getSendBufferSize() calls itself forever, so datagrams are
 * received through the underlying socket's 'message' listener.
 */
import { randomBytes } from 'node:crypto';
import { isIPv6 } from 'node:net';
import DgramAsPromised, { type RemoteInfo, type SocketAsPromised } from 'dgram-as-promised';
import type { Faults } from '../../shared/domain';
import { isValidNodeId } from '../core/config';
import type { NodeId } from '../core/types';
import { formatAddress, type HostPort } from './address';
import { bundleOverheadBytes, decodeSizedPayload, encodeBundle, encodeMessage, MalformedMessageError } from './codec';
import { maxMessageBytes, MessageTooLargeError, Reassembler, splitMessage } from './fragments';
import { FreshnessFilter } from './freshness';
import { deriveClusterKeys } from './keys';
import { NO_EPOCH_FLOORS, type PeerEpochs } from './peer-epochs';
import { membersDigest, Opener, Sealer, type DropReason } from './seal';
import { MAX_STRANGERS, rememberRecent } from './strangers';
import { ANY_NODE, isControlTraffic, type PingMessage, type WireMessage } from './wire';

export const DEFAULT_MAX_DATAGRAM_BYTES = 1400;
/** Below this, headers would eat most of every datagram. */
export const MIN_MAX_DATAGRAM_BYTES = 256;
/** Below the 65,507-byte IPv4 UDP limit, with room to spare. */
export const MAX_MAX_DATAGRAM_BYTES = 65_000;
export const DEFAULT_RECV_BUFFER_BYTES = 4 * 1024 * 1024;
/**
 * A new path challenge to a peer goes out at most this often: enough for a peer that moved to be
 * followed within about a second (its next message after a lost challenge triggers another), while a
 * stream of replays from elsewhere costs one small datagram a second.
 */
export const PATH_CHALLENGE_INTERVAL_MS = 1000;
const CHALLENGE_BYTES = 8;

export interface TraceEvent {
  readonly direction: 'in' | 'out';
  readonly message: WireMessage;
  /** True when an injected fault (or, outgoing, an unknown destination) dropped the message. */
  readonly dropped: boolean;
  /** The message's encoded size (before sealing and fragmentation). */
  readonly bytes: number;
}

export const NO_FAULTS: Faults = Object.freeze({ dropRate: 0, delayMs: 0, isolate: Object.freeze([]) });

/**
 * Why a datagram or message was dropped: the Opener's reasons, then
 *  'fragment-rejected' fragments contradicting each other, or a message too large to reassemble;
 *  'undecodable'       authenticated, but not a message this codec version understands;
 *  'sender-mismatch'   the message's `from` is not its authenticated sender;
 *  'misaddressed'      the message's `to` is not this node;
 *  'fault-in' / 'fault-out'  dropped by an injected fault;
 *  'stale-echo'        a path echo that answers no outstanding challenge, or not from where it went;
 *  'stale'             authenticated, but it waited in our receive buffer too long (freshness.ts);
 *  'no-route'          sending to a node that is not a member;
 *  and the SendErrorReasons of messages this node could not send.
 */
export type TransportDropReason = DropReason | 'fragment-rejected' | 'undecodable' | 'sender-mismatch' | 'misaddressed' | 'stale-echo' | 'stale' | 'fault-in' | 'fault-out' | 'no-route' | SendErrorReason;

/**
 * Why send() could not send a message (a bug of the caller or a message the core should have bounded):
 *  'not-from-self'  its `from` is not this node;
 *  'unencodable'    the codec refused it (an invalid id or integer, a lone surrogate...);
 *  'too-large'      encoded, it exceeds what the transport carries (fragments.ts: MessageTooLargeError).
 */
export type SendErrorReason = 'not-from-self' | 'unencodable' | 'too-large';

export interface TransportStats {
  readonly dropped: Record<string, number>;
  readonly sentDatagrams: number;
  readonly receivedDatagrams: number;
  readonly sentBytes: number;
  readonly receivedBytes: number;
  readonly sendErrors: number;
  /** The socket receive buffer the OS reports having granted (0 if unknown). */
  readonly recvBufferBytes: number;
  /** Peers whose latest datagram advertised a member set other than ours. */
  readonly memberMismatch: { readonly peer: NodeId; readonly theirDigest: number; readonly since: number }[];
}

export interface UdpTransportOptions {
  readonly self: NodeId;
  readonly listenHost: string;
  /** 0 binds any free port (see address()). */
  readonly listenPort: number;
  readonly secret: string;
  /** This process's transport epoch (nextTransportEpoch), 1 .. 2^32 - 1. */
  readonly epoch: number;
  /**
   * The lowest epoch to accept from each sender, kept across restarts (PeerEpochs.open on the data
   * directory). The transport owns it from then on: close() closes it. Default: nothing remembered.
   */
  readonly peerEpochs?: PeerEpochs;
  /**
   * The other members (self excluded) and their addresses. Prefer IP addresses: a host name is
   * resolved by the OS on every datagram sent.
   */
  readonly members: ReadonlyMap<NodeId, HostPort>;
  /** Largest datagram sent, headers included. Default 1400 (fits common MTUs), at most 65000. */
  readonly maxDatagramBytes?: number;
  /** Socket receive buffer requested; the OS may grant less. Default 4 MiB. */
  readonly recvBufferBytes?: number;
  /**
   * Called synchronously from the socket's 'message' event: queue and return; must not throw. `ageMs`:
   * how much later than the fastest from its sender the message was read (freshness.ts; 0 if unknown),
   * i.e. mostly how long it waited for this process.
   */
  readonly onMessage: (message: WireMessage, ageMs: number) => void;
  /** Every message sent or received, dropped by a fault or not (for the dashboard); must not throw. */
  readonly onTrace?: (event: TraceEvent) => void;
  /** A message that could not be sent (also counted in stats().dropped), with a readable detail; must not throw. */
  readonly onSendError?: (message: WireMessage, reason: SendErrorReason, detail: string) => void;
  /** Clock for lastHeardAt and fragment expiry, in milliseconds. Default Date.now. */
  readonly now?: () => number;
  /** Monotonic clock (ms) stamped on every datagram and read to judge arrivals' age. Default performance.now. */
  readonly monotonicNow?: () => number;
  /**
   * A datagram that reaches us this much later than its sender's fastest is dropped as 'stale'
   * (freshness.ts). Default: never (the node passes twice its longest election timeout).
   */
  readonly staleAfterMs?: number;
  /** Randomness for injected drops, in [0, 1). Default Math.random. */
  readonly random?: () => number;
}

interface Peer {
  host: string;
  port: number;
  lastHeardAt: number | null;
}

interface Address {
  readonly host: string;
  readonly port: number;
}

/** A ping with a challenge sent to a member's new address, waiting for its echo from there. */
interface PathChallenge extends Address {
  /** 16 hex digits. */
  readonly value: string;
  readonly sentAt: number;
}

interface MutableStats {
  sentDatagrams: number;
  receivedDatagrams: number;
  sentBytes: number;
  receivedBytes: number;
  sendErrors: number;
}

/**
 * A member whose address is not known yet (UNKNOWN_ADDRESS): its datagrams are accepted, and the
 * first one tells where it is; until then nothing can be sent to it ('no-route').
 */
export const UNKNOWN_ADDRESS: HostPort = Object.freeze({ host: '', port: 0 });

function isUnknownAddress(host: string, port: number): boolean {
  return host === '' && port === 0;
}

function checkAddress(id: NodeId, host: string, port: number): void {
  if (isUnknownAddress(host, port)) return;
  if (typeof host !== 'string' || host === '') throw new RangeError(`member ${id}: empty host`);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new RangeError(`member ${id}: invalid port ${port}`);
}

function checkFaults(faults: Faults): void {
  if (!(faults.dropRate >= 0 && faults.dropRate <= 1)) throw new RangeError(`dropRate must be in [0, 1] (got ${faults.dropRate})`);
  if (!(faults.delayMs >= 0 && Number.isFinite(faults.delayMs))) throw new RangeError(`delayMs must be a finite number >= 0 (got ${faults.delayMs})`);
}

export class UdpTransport {
  private readonly peersById = new Map<NodeId, Peer>();
  private digest = 0;
  private readonly opener: Opener;
  private readonly sealer: Sealer;
  private readonly reassembler = new Reassembler();
  private readonly fragmentPayloadBytes: number;
  /** The largest encoded message sendable: it fits MAX_FRAGMENT_COUNT fragments and MAX_MESSAGE_BYTES. */
  private readonly maxMessageBytes: number;
  private nextMessageId = 0;
  private currentFaults: Faults = NO_FAULTS;
  private isolated: ReadonlySet<NodeId> = new Set();
  private readonly delayed = new Set<ReturnType<typeof setTimeout>>();
  private readonly dropCounts: Record<string, number> = {};
  private readonly counters: MutableStats = { sentDatagrams: 0, receivedDatagrams: 0, sentBytes: 0, receivedBytes: 0, sendErrors: 0 };
  /** Peers whose member set differs from ours, since when (a membership change makes this brief). */
  private readonly mismatches = new Map<NodeId, { digest: number; since: number }>();
  private readonly strangers = new Map<NodeId, Peer>();
  /** The outstanding path challenge of each member that wrote from an address other than its own. */
  private readonly pathChallenges = new Map<NodeId, PathChallenge>();
  private readonly peerEpochs: PeerEpochs | undefined;
  private joinContact: Peer | undefined = undefined;
  private closed = false;
  private boundAddress: HostPort = { host: '', port: 0 };
  private recvBufferBytes = 0;
  private readonly onMessage: (message: WireMessage, ageMs: number) => void;
  private readonly onTrace: ((event: TraceEvent) => void) | undefined;
  private readonly onSendError: ((message: WireMessage, reason: SendErrorReason, detail: string) => void) | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly monotonicNow: () => number;
  private readonly freshness: FreshnessFilter;
  private readonly self: NodeId;

  private constructor(
    options: UdpTransportOptions,
    private readonly socket: SocketAsPromised,
  ) {
    this.self = options.self;
    this.onMessage = options.onMessage;
    this.onTrace = options.onTrace;
    this.onSendError = options.onSendError;
    this.now = options.now ?? Date.now;
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
    this.freshness = new FreshnessFilter(options.staleAfterMs ?? Infinity);
    this.random = options.random ?? Math.random;
    this.peerEpochs = options.peerEpochs;
    const maxDatagramBytes = options.maxDatagramBytes ?? DEFAULT_MAX_DATAGRAM_BYTES;
    const keys = deriveClusterKeys(options.secret);
    this.opener = new Opener(keys.key, keys.clusterId, options.peerEpochs ?? NO_EPOCH_FLOORS);
    this.installMembers(options.members);
    this.sealer = new Sealer(keys.key, keys.clusterId, options.self, options.epoch, this.digest);
    this.fragmentPayloadBytes = maxDatagramBytes - this.sealer.overheadBytes;
    this.maxMessageBytes = maxMessageBytes(this.fragmentPayloadBytes);
  }

  /** Binds the socket and starts delivering. Throws on invalid options or when the address cannot be bound. */
  static async open(options: UdpTransportOptions): Promise<UdpTransport> {
    if (!isValidNodeId(options.self)) throw new RangeError(`invalid node id "${options.self}"`);
    const maxDatagramBytes = options.maxDatagramBytes ?? DEFAULT_MAX_DATAGRAM_BYTES;
    if (!Number.isInteger(maxDatagramBytes) || maxDatagramBytes < MIN_MAX_DATAGRAM_BYTES || maxDatagramBytes > MAX_MAX_DATAGRAM_BYTES) {
      throw new RangeError(`maxDatagramBytes must be an integer in [${MIN_MAX_DATAGRAM_BYTES}, ${MAX_MAX_DATAGRAM_BYTES}] (got ${maxDatagramBytes})`);
    }
    if (!Number.isInteger(options.listenPort) || options.listenPort < 0 || options.listenPort > 65_535) {
      throw new RangeError(`invalid listen port ${options.listenPort}`);
    }
    const socket = DgramAsPromised.createSocket({ type: isIPv6(options.listenHost) ? 'udp6' : 'udp4' });
    // Validates everything else (secret, epoch, members) before the socket is bound.
    let transport: UdpTransport;
    try {
      transport = new UdpTransport(options, socket);
    } catch (error) {
      await socket.close().catch(() => undefined);
      socket.destroy();
      throw error;
    }
    try {
      const { address, port } = await socket.bind(options.listenPort, options.listenHost);
      transport.boundAddress = { host: address, port };
    } catch (error) {
      await socket.close().catch(() => undefined);
      socket.destroy();
      throw error;
    }
    // Bursts of fragments (a large accept, a snapshot chunk) overflow the default buffer of some OSes.
    // A refused size is not fatal: the protocol retransmits what gets lost.
    // Linux silently caps the request at net.core.rmem_max (and reports double what it grants).
    try {
      socket.setRecvBufferSize(options.recvBufferBytes ?? DEFAULT_RECV_BUFFER_BYTES);
    } catch {
      // keep the OS default
    }
    try {
      transport.recvBufferBytes = socket.getRecvBufferSize();
    } catch {
      // unknown: stays 0
    }
    socket.socket.on('message', transport.onDatagram);
    // Without an 'error' listener an asynchronous socket error would crash the process.
    socket.socket.on('error', transport.onSocketError);
    return transport;
  }

  /** The bound address (with the real port when listenPort was 0); still answers after close(). */
  address(): HostPort {
    return this.boundAddress;
  }

  send(message: WireMessage): void {
    this.sendAll([message]);
  }

  /**
   * Sends messages, packing those for the same peer into as few datagrams as fit (one system call and
   * one seal per datagram, not per message): a turn's accepts and commit notification to a follower
   * usually travel together. Order per peer is kept; faults are decided per message.
   */
  sendAll(messages: readonly WireMessage[]): void {
    if (this.closed) return;
    const byPeer = new Map<NodeId, Uint8Array[]>();
    for (const message of messages) {
      // Encoded first, so that a message that can never be sent is reported whatever the faults.
      const encoded = this.encodeForSending(message);
      if (encoded === null) continue;
      if (!this.peersById.has(message.to) && !this.strangers.has(message.to) && !(message.to === ANY_NODE && this.joinContact !== undefined)) {
        this.dropOut(message, 'no-route', encoded.length);
        continue;
      }
      if (isControlTraffic(message)) {
        // Exempt from faults and delay; alone in its datagram (it is small and rare).
        const to = message.to;
        this.onTrace?.({ direction: 'out', message, dropped: false, bytes: encoded.length });
        this.transmit(this.seal(encoded), () => this.peersById.get(to));
        continue;
      }
      if (this.isolated.has(message.to) || this.drawDrop()) {
        this.dropOut(message, 'fault-out', encoded.length);
        continue;
      }
      this.onTrace?.({ direction: 'out', message, dropped: false, bytes: encoded.length });
      let queue = byPeer.get(message.to);
      if (queue === undefined) byPeer.set(message.to, (queue = []));
      queue.push(encoded);
    }
    for (const [to, encoded] of byPeer) {
      const datagrams: Uint8Array[] = [];
      let bundle: Uint8Array[] = [];
      let bundleBytes = 0;
      const flush = (): void => {
        if (bundle.length === 0) return;
        const payload = bundle.length === 1 ? (bundle[0] as Uint8Array) : encodeBundle(bundle);
        datagrams.push(...this.seal(payload));
        bundle = [];
        bundleBytes = 0;
      };
      for (const message of encoded) {
        const next = bundleBytes + message.length;
        if (bundle.length > 0 && next + bundleOverheadBytes(bundle.length + 1, this.fragmentPayloadBytes) > this.fragmentPayloadBytes) flush();
        bundle.push(message);
        bundleBytes += message.length;
        // A message too large for one datagram travels alone, in fragments.
        if (message.length + bundleOverheadBytes(1, message.length) > this.fragmentPayloadBytes) flush();
      }
      flush();
      // The address at transmit time: a delayed message follows a peer that moved meanwhile.
      this.transmitAfterDelay(datagrams, () => this.peersById.get(to) ?? this.strangers.get(to) ?? (to === ANY_NODE ? this.joinContact : undefined));
    }
  }

  /** The bytes of `message`, or null after counting and reporting why it cannot be sent. */
  private encodeForSending(message: WireMessage): Uint8Array | null {
    if (message.from !== this.self) return this.sendError(message, 'not-from-self', `a message from ${String(message.from)} cannot be sent by ${this.self}`);
    let encoded: Uint8Array;
    try {
      encoded = encodeMessage(message);
    } catch (error) {
      return this.sendError(message, 'unencodable', error instanceof Error ? error.message : String(error));
    }
    if (encoded.length > this.maxMessageBytes) {
      return this.sendError(message, 'too-large', new MessageTooLargeError(encoded.length, this.maxMessageBytes).message);
    }
    return encoded;
  }

  private sendError(message: WireMessage, reason: SendErrorReason, detail: string): null {
    this.drop(reason);
    this.onSendError?.(message, reason, detail);
    return null;
  }

  /**
   * One payload (a message or a bundle) as sealed datagrams, fragmented if it does not fit one.
   * Precondition: payload.length <= maxMessageBytes (encodeForSending checked it; bundles are smaller).
   */
  private seal(payload: Uint8Array): Uint8Array[] {
    const pieces = splitMessage(payload, this.fragmentPayloadBytes);
    const messageId = this.nextMessageId;
    this.nextMessageId = (this.nextMessageId + 1) >>> 0;
    const sentAtMs = this.monotonicNow();
    return pieces.map((piece, index) => this.sealer.seal({ messageId, index, count: pieces.length }, piece, sentAtMs));
  }

  /** `destination` is asked at transmit time (undefined: nowhere to send any more). */
  private transmitAfterDelay(datagrams: readonly Uint8Array[], destination: () => Address | undefined): void {
    const { delayMs } = this.currentFaults;
    if (delayMs <= 0) return this.transmit(datagrams, destination);
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      this.transmit(datagrams, destination);
    }, delayMs);
    this.delayed.add(timer);
  }

  /** Where messages to ANY_NODE go (a joining node's contact, known only by its address). */
  setJoinContact(address: HostPort | null): void {
    if (address !== null) checkAddress(ANY_NODE, address.host, address.port);
    this.joinContact = address === null ? undefined : { host: address.host, port: address.port, lastHeardAt: null };
  }

  /** The address a stranger (a node asking to join) wrote from, if one did lately. */
  strangerAddress(id: NodeId): string | null {
    const stranger = this.strangers.get(id);
    return stranger === undefined ? null : formatAddress(stranger.host, stranger.port);
  }

  /** Replaces the member set (self excluded). Remaining members keep their lastHeardAt. */
  setMembers(members: ReadonlyMap<NodeId, HostPort>): void {
    this.installMembers(members);
    this.sealer.setMembersDigest(this.digest);
  }

  private installMembers(members: ReadonlyMap<NodeId, HostPort>): void {
    for (const [id, { host, port }] of members) {
      if (!isValidNodeId(id)) throw new RangeError(`invalid member id "${id}"`);
      if (id === this.self) throw new RangeError(`members must not include this node (${id})`);
      checkAddress(id, host, port);
    }
    for (const id of this.peersById.keys()) if (!members.has(id)) this.peersById.delete(id);
    for (const [id, { host, port }] of members) {
      const peer = this.peersById.get(id);
      if (peer === undefined) this.peersById.set(id, { host, port, lastHeardAt: null });
      else {
        peer.host = host;
        peer.port = port;
      }
    }
    for (const id of this.mismatches.keys()) if (!members.has(id)) this.mismatches.delete(id);
    for (const id of this.pathChallenges.keys()) if (!members.has(id)) this.pathChallenges.delete(id);
    this.opener.setMembers(new Set(members.keys()));
    this.digest = membersDigest([this.self, ...members.keys()]);
  }

  peers(): { id: NodeId; address: string; lastHeardAt: number | null }[] {
    return [...this.peersById].map(([id, p]) => ({ id, address: formatAddress(p.host, p.port), lastHeardAt: p.lastHeardAt }));
  }

  /** Datagrams dropped as stale so far (cheap, unlike stats()): while it grows, a backlog is being read. */
  get staleDatagrams(): number {
    return this.dropCounts['stale'] ?? 0;
  }

  stats(): TransportStats {
    return {
      ...this.counters,
      recvBufferBytes: this.recvBufferBytes,
      dropped: { ...this.dropCounts },
      memberMismatch: [...this.mismatches].map(([peer, { digest, since }]) => ({ peer, theirDigest: digest, since })),
    };
  }

  /** Changes the given fault settings (the others stay); NO_FAULTS restores normal operation. */
  setFaults(faults: Partial<Faults>): void {
    const next: Faults = { ...this.currentFaults, ...faults };
    checkFaults(next);
    this.currentFaults = Object.freeze({ dropRate: next.dropRate, delayMs: next.delayMs, isolate: Object.freeze([...new Set(next.isolate)]) });
    this.isolated = new Set(this.currentFaults.isolate);
  }

  faults(): Faults {
    return this.currentFaults;
  }

  /** Stops receiving, cancels delayed sends, closes the peer epochs and the socket. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    this.peerEpochs?.close();
    this.socket.socket.off('message', this.onDatagram);
    this.socket.socket.off('error', this.onSocketError);
    try {
      await this.socket.close();
    } catch {
      // Already closed (ERR_SOCKET_DGRAM_NOT_RUNNING): nothing left to release.
    }
    this.socket.destroy();
  }

  private readonly onDatagram = (datagram: Buffer, rinfo: RemoteInfo): void => {
    if (this.closed) return;
    this.counters.receivedDatagrams++;
    this.counters.receivedBytes += datagram.length;
    const opened = this.opener.open(datagram);
    if (!opened.ok) return this.drop(opened.reason);
    const { sender } = opened;
    const ageMs = this.freshness.ageOf(sender, opened.epoch, opened.sentAtMs, this.monotonicNow());
    if (ageMs === null) return this.drop('stale');
    const now = this.now();
    const reassembled = this.reassembler.add(`${sender}@${opened.epoch}`, opened.fragment, opened.plaintext, now);
    if (reassembled.status === 'rejected') return this.drop('fragment-rejected');
    if (reassembled.status !== 'complete') return;
    let messages: { readonly message: WireMessage; readonly bytes: number }[];
    try {
      messages = decodeSizedPayload(reassembled.message);
    } catch (error) {
      if (error instanceof MalformedMessageError) return this.drop('undecodable');
      throw error;
    }
    const delivered = messages.filter(({ message, bytes }) => this.admit(message, sender, opened.stranger, bytes));
    if (delivered.length === 0) return;
    if (opened.stranger) rememberRecent(this.strangers, sender, { host: rinfo.address, port: rinfo.port, lastHeardAt: now }, MAX_STRANGERS);
    if (opened.membersDigest === this.digest || opened.stranger) this.mismatches.delete(sender);
    else if (this.mismatches.get(sender)?.digest !== opened.membersDigest) this.mismatches.set(sender, { digest: opened.membersDigest, since: now });
    const source: Address = { host: rinfo.address, port: rinfo.port };
    for (const { message, bytes } of delivered) {
      this.onTrace?.({ direction: 'in', message, dropped: false, bytes });
      if (message.type === 'ping' && message.challenge !== undefined) this.answerChallenge(sender, message.challenge, source);
      else if (message.type === 'ping' && message.echo !== undefined) this.checkEcho(sender, message.echo, source);
      else this.onMessage(message, ageMs);
    }
    // After the messages, so that an echo that moves the peer here is not taken for a move to validate.
    const peer = this.peersById.get(sender);
    if (peer !== undefined) {
      // Authenticated and fresh, but possibly replayed after this node restarted: a new address is
      // believed only once the peer proves it is there (its echo of a challenge).
      if (peer.host === source.host && peer.port === source.port) peer.lastHeardAt = now;
      else this.challengePath(sender, source, now);
    }
  };

  /** Sends `peer` a challenge at `address`, unless one went out less than PATH_CHALLENGE_INTERVAL_MS ago. */
  private challengePath(peer: NodeId, address: Address, now: number): void {
    const pending = this.pathChallenges.get(peer);
    // A clock that stepped back must not silence challenges: a sentAt "in the future" has expired.
    if (pending !== undefined && now - pending.sentAt < PATH_CHALLENGE_INTERVAL_MS && pending.sentAt <= now) return;
    const value = randomBytes(CHALLENGE_BYTES).toString('hex');
    this.pathChallenges.set(peer, { host: address.host, port: address.port, value, sentAt: now });
    this.sendProbe({ type: 'ping', from: this.self, to: peer, commitIndex: 0, challenge: value }, address);
  }

  /** A member asks whether we are where we wrote from: echo its challenge to that very address. */
  private answerChallenge(peer: NodeId, challenge: string, from: Address): void {
    this.sendProbe({ type: 'ping', from: this.self, to: peer, commitIndex: 0, echo: challenge }, from);
  }

  /** An echo of our outstanding challenge, from where the challenge went, proves the peer moved there. */
  private checkEcho(peerId: NodeId, echo: string, from: Address): void {
    const pending = this.pathChallenges.get(peerId);
    const peer = this.peersById.get(peerId);
    if (pending === undefined || peer === undefined || pending.value !== echo || pending.host !== from.host || pending.port !== from.port) {
      this.drop('stale-echo');
      return;
    }
    this.pathChallenges.delete(peerId);
    peer.host = from.host;
    peer.port = from.port;
  }

  /**
   * A challenge or an echo, to an explicit address rather than the peer's recorded one. Faults apply as
   * to any message. Probes are pings of this transport's own: never delivered, so their commitIndex is
   * 0 and means nothing.
   */
  private sendProbe(message: PingMessage, to: Address): void {
    const encoded = encodeMessage(message);
    if (this.isolated.has(message.to) || this.drawDrop()) return this.dropOut(message, 'fault-out', encoded.length);
    this.onTrace?.({ direction: 'out', message, dropped: false, bytes: encoded.length });
    this.transmitAfterDelay(this.seal(encoded), () => to);
  }

  /** Whether one message of an authenticated payload may be delivered (else it is counted as dropped). */
  private admit(message: WireMessage, sender: NodeId, stranger: boolean, bytes: number): boolean {
    if (message.from !== sender) return this.dropped('sender-mismatch');
    // A join and the answer to one are the only words with a node that is not (yet) a member.
    if (stranger && message.type !== 'join' && message.type !== 'joinReply') return this.dropped('unknown-sender');
    // A newcomer may not know the id of the member it asks to join.
    if (message.to !== this.self && !(message.type === 'join' && message.to === ANY_NODE)) return this.dropped('misaddressed');
    if (!isControlTraffic(message) && (this.isolated.has(sender) || this.drawDrop())) {
      this.onTrace?.({ direction: 'in', message, dropped: true, bytes });
      return this.dropped('fault-in');
    }
    return true;
  }

  private dropped(reason: TransportDropReason): false {
    this.drop(reason);
    return false;
  }

  private readonly onSocketError = (): void => {
    this.counters.sendErrors++;
  };

  private transmit(datagrams: readonly Uint8Array[], destination: () => Address | undefined): void {
    if (this.closed) return;
    const peer = destination();
    if (peer === undefined) return;
    if (isUnknownAddress(peer.host, peer.port)) return this.drop('no-route');
    for (const datagram of datagrams) {
      try {
        this.socket.socket.send(datagram, peer.port, peer.host, (error) => {
          if (error) this.counters.sendErrors++;
        });
        this.counters.sentDatagrams++;
        this.counters.sentBytes += datagram.length;
      } catch {
        // Synchronous failures (socket closing, bad address) are as transient as asynchronous ones.
        this.counters.sendErrors++;
      }
    }
  }

  private drawDrop(): boolean {
    const { dropRate } = this.currentFaults;
    return dropRate > 0 && this.random() < dropRate;
  }

  private drop(reason: TransportDropReason): void {
    this.dropCounts[reason] = (this.dropCounts[reason] ?? 0) + 1;
  }

  private dropOut(message: WireMessage, reason: TransportDropReason, bytes: number): void {
    this.drop(reason);
    this.onTrace?.({ direction: 'out', message, dropped: true, bytes });
  }
}
