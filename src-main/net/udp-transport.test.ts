import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommitMessage } from '../core/types';
import { NodeFileSystem } from '../storage/node-file-system';
import { decodePayload, encodeMessage } from './codec';
import { deriveClusterKeys } from './keys';
import { PeerEpochs } from './peer-epochs';
import { sampleAccept } from '../../test/support/random-messages';
import { membersDigest, Opener, Sealer } from './seal';
import type { HostPort } from './address';
import { PATH_CHALLENGE_INTERVAL_MS, UdpTransport, type SendErrorReason, type TraceEvent, type UdpTransportOptions } from './udp-transport';
import type { PingMessage, WireMessage } from './wire';

const SECRET = 'the shared secret of the test cluster';
const HOST = '127.0.0.1';
/** A port nothing listens on, for members whose real address is not known yet. */
const NOWHERE: HostPort = { host: HOST, port: 9 };

interface Node {
  readonly transport: UdpTransport;
  readonly inbox: WireMessage[];
  /** The transport's estimate of how long each message of `inbox` waited to be read. */
  readonly ages: number[];
  readonly traces: TraceEvent[];
}

const open: UdpTransport[] = [];
const rawSockets: Socket[] = [];
const tempDirs: string[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
  await Promise.all(rawSockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function startNode(self: string, members: Record<string, HostPort>, options: Partial<UdpTransportOptions> = {}): Promise<Node> {
  const inbox: WireMessage[] = [];
  const ages: number[] = [];
  const traces: TraceEvent[] = [];
  const transport = await UdpTransport.open({
    self,
    listenHost: HOST,
    listenPort: 0,
    secret: SECRET,
    epoch: 1,
    members: new Map(Object.entries(members)),
    onMessage: (m, ageMs) => {
      inbox.push(m);
      ages.push(ageMs);
    },
    onTrace: (e) => traces.push(e),
    ...options,
  });
  open.push(transport);
  return { transport, inbox, ages, traces };
}

/** Two members that know each other's address. */
async function startPair(): Promise<[Node, Node]> {
  const a = await startNode('n1', { n2: NOWHERE });
  const b = await startNode('n2', { n1: a.transport.address() });
  const { host, port } = b.transport.address();
  a.transport.setMembers(new Map([['n2', { host, port }]]));
  return [a, b];
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function rawSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  rawSockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
  return socket;
}

function sendRaw(socket: Socket, datagram: Uint8Array, to: HostPort): Promise<void> {
  return new Promise((resolve, reject) => socket.send(datagram, to.port, to.host, (error) => (error ? reject(error) : resolve())));
}

const keys = deriveClusterKeys(SECRET);

/** One message as one sealed datagram, the way a peer (or whoever holds its key) would send it. */
function sealOne(sealer: Sealer, message: WireMessage): Uint8Array {
  return sealer.seal({ messageId: 0, index: 0, count: 1 }, encodeMessage(message));
}

/** A raw socket standing in for `id`: it seals as `id` and reads what n1 sends it. */
async function impersonate(id: string, epoch: number): Promise<{ socket: Socket; sealer: Sealer; inbox: WireMessage[]; address: HostPort }> {
  const socket = await rawSocket();
  const opener = new Opener(keys.key, keys.clusterId);
  opener.setMembers(new Set(['n1']));
  const inbox: WireMessage[] = [];
  socket.on('message', (datagram) => {
    const opened = opener.open(datagram);
    if (opened.ok) inbox.push(...decodePayload(opened.plaintext));
  });
  const { port } = socket.address();
  return { socket, sealer: new Sealer(keys.key, keys.clusterId, id, epoch, membersDigest(['n1', id])), inbox, address: { host: HOST, port } };
}

function challenges(inbox: readonly WireMessage[]): string[] {
  return inbox.flatMap((m) => (m.type === 'ping' && m.challenge !== undefined ? [m.challenge] : []));
}

function echo(from: string, value: string): PingMessage {
  return { type: 'ping', from, to: 'n1', commitIndex: 0, echo: value };
}

let commitIndex = 0;
function commit(from: string, to: string): CommitMessage {
  return { type: 'commit', from, to, ballot: { round: 1, node: from }, commitIndex: ++commitIndex };
}

describe('UdpTransport', () => {
  it('exchanges messages both ways, including one that needs 70+ fragments', async () => {
    const [a, b] = await startPair();
    const hello = commit('n1', 'n2');
    a.transport.send(hello);
    await waitFor(() => b.inbox.length === 1, 'the commit');
    expect(b.inbox[0]).toEqual(hello);

    const reply = commit('n2', 'n1');
    b.transport.send(reply);
    await waitFor(() => a.inbox.length === 1, 'the reply');
    expect(a.inbox[0]).toEqual(reply);

    const big = { ...sampleAccept(100, 1000), from: 'n1', to: 'n2' };
    expect(encodeMessage(big).length).toBeGreaterThan(100_000);
    const before = a.transport.stats().sentDatagrams;
    a.transport.send(big);
    await waitFor(() => b.inbox.length === 2, 'the large accept');
    expect(b.inbox[1]).toEqual(big);
    expect(a.transport.stats().sentDatagrams - before).toBeGreaterThan(70);
    expect(b.transport.stats()).toMatchObject({ dropped: {}, memberMismatch: [], sendErrors: 0 });
    expect(b.transport.stats().recvBufferBytes).toBeGreaterThan(0);
    expect(b.traces.map((t) => [t.direction, t.message.type, t.dropped])).toEqual([
      ['in', 'commit', false],
      ['out', 'commit', false],
      ['in', 'accept', false],
    ]);
  });

  it('keeps every datagram within maxDatagramBytes', async () => {
    const a = await startNode('n1', { n2: NOWHERE }, { maxDatagramBytes: 300 });
    const sniffer = await rawSocket();
    const sizes: number[] = [];
    sniffer.on('message', (datagram) => sizes.push(datagram.length));
    const { port } = sniffer.address();
    a.transport.setMembers(new Map([['n2', { host: HOST, port }]]));
    a.transport.send({ ...sampleAccept(20, 150), from: 'n1', to: 'n2' });
    await waitFor(() => sizes.length > 1 && sizes.reduce((x, y) => x + y, 0) === a.transport.stats().sentBytes, 'the fragments');
    expect(Math.max(...sizes)).toBeLessThanOrEqual(300);
  });

  it('drops garbage, other clusters, strangers, replays and forged envelopes, and counts them', async () => {
    const [a] = await startPair();
    const target = a.transport.address();
    const attacker = await rawSocket();
    const mine = deriveClusterKeys(SECRET);
    const theirs = deriveClusterKeys('some other cluster secret');
    const digest = membersDigest(['n1', 'n2']);
    // The attacker's datagrams are sealed by test sealers; only `asN2` holds the real cluster key.
    const asN2 = new Sealer(mine.key, mine.clusterId, 'n2', 7, digest);
    const seal = (sealer: Sealer, m: WireMessage): Uint8Array => sealer.seal({ messageId: 0, index: 0, count: 1 }, encodeMessage(m));

    await sendRaw(attacker, new Uint8Array([1, 2, 3]), target);
    await sendRaw(attacker, new Uint8Array(200).fill(0x55), target);
    await sendRaw(attacker, seal(new Sealer(theirs.key, theirs.clusterId, 'n2', 7, digest), commit('n2', 'n1')), target);
    await sendRaw(attacker, seal(new Sealer(mine.key, mine.clusterId, 'n9', 7, digest), commit('n9', 'n1')), target);
    await sendRaw(attacker, seal(asN2, commit('n3', 'n1')), target);
    await sendRaw(attacker, seal(asN2, commit('n2', 'n3')), target);
    const genuine = seal(asN2, commit('n2', 'n1'));
    await sendRaw(attacker, genuine, target);
    await sendRaw(attacker, genuine, target);
    await waitFor(() => a.transport.stats().receivedDatagrams === 8, 'all datagrams');
    expect(a.transport.stats().dropped).toEqual({
      malformed: 2,
      'wrong-cluster': 1,
      'unknown-sender': 1,
      'sender-mismatch': 1,
      misaddressed: 1,
      replayed: 1,
    });
    expect(a.inbox).toHaveLength(1);
    expect(a.inbox[0]?.from).toBe('n2');
  });

  it('follows a member that restarts on another port once it echoes a challenge from there', async () => {
    const [a, b] = await startPair();
    await b.transport.close();
    const moved = await startNode('n2', { n1: a.transport.address() }, { epoch: 2 });
    expect(moved.transport.address().port).not.toBe(b.transport.address().port);
    moved.transport.send(commit('n2', 'n1'));
    await waitFor(() => a.inbox.length === 1, 'the moved peer');
    await waitFor(() => a.transport.peers()[0]?.address === `${HOST}:${moved.transport.address().port}`, 'the validated move');
    expect(a.transport.peers()).toEqual([{ id: 'n2', address: `${HOST}:${moved.transport.address().port}`, lastHeardAt: expect.any(Number) as number }]);
    // The challenge and its echo are the transports' own business.
    expect(a.inbox.map((m) => m.type)).toEqual(['commit']);
    expect(moved.inbox).toEqual([]);
    const back = commit('n1', 'n2');
    a.transport.send(back);
    await waitFor(() => moved.inbox.length === 1, 'the answer at the new address');
    expect(moved.inbox[0]).toEqual(back);
  });

  it('isolates a peer in both directions, then restores delivery', async () => {
    const [a, b] = await startPair();
    a.transport.setFaults({ isolate: ['n2'] });
    expect(a.transport.faults()).toEqual({ dropRate: 0, delayMs: 0, isolate: ['n2'] });
    a.transport.send(commit('n1', 'n2'));
    b.transport.send(commit('n2', 'n1'));
    await waitFor(() => a.transport.stats().dropped['fault-in'] === 1, 'the isolated message');
    expect(a.transport.stats().dropped['fault-out']).toBe(1);
    expect(a.traces.map((t) => [t.direction, t.dropped])).toEqual([
      ['out', true],
      ['in', true],
    ]);
    expect(a.transport.peers()[0]?.lastHeardAt).toBeNull();

    a.transport.setFaults({ isolate: [] });
    const after = commit('n1', 'n2');
    a.transport.send(after);
    b.transport.send(commit('n2', 'n1'));
    await waitFor(() => a.inbox.length === 1 && b.inbox.length === 1, 'delivery after isolation');
    expect(b.inbox).toEqual([after]);
  });

  it('drops a datagram read longer than staleAfterMs after its sender sent it (a backlog), and counts it', async () => {
    const clocks = { n1: 0, n2: 0 };
    const a = await startNode('n1', { n2: NOWHERE }, { monotonicNow: () => clocks.n1 });
    const b = await startNode('n2', { n1: a.transport.address() }, { monotonicNow: () => clocks.n2, staleAfterMs: 3_000 });
    a.transport.setMembers(new Map([['n2', b.transport.address()]]));
    a.transport.send(commit('n1', 'n2'));
    await waitFor(() => b.inbox.length === 1, 'the first commit');
    // n2 reads the next one 20 s after n1 sent it, as a process resumed from SIGSTOP reads its socket buffer.
    clocks.n1 += 10;
    clocks.n2 += 20_000;
    a.transport.send(commit('n1', 'n2'));
    await waitFor(() => b.transport.stats().dropped['stale'] === 1, 'the stale commit');
    clocks.n1 += 20_000;
    const fresh = commit('n1', 'n2');
    a.transport.send(fresh);
    await waitFor(() => b.inbox.length === 2, 'the fresh commit');
    expect(b.inbox[1]).toEqual(fresh);
    // Read 1.5 s late (a busy reader): delivered, with how long it waited.
    clocks.n2 += 1_500;
    a.transport.send(commit('n1', 'n2'));
    await waitFor(() => b.inbox.length === 3, 'the late commit');
    expect(b.ages[2]).toBeCloseTo(1_500, -1);
    expect(b.traces.filter((t) => t.direction === 'in')).toHaveLength(3);
  });

  it('drops every message at dropRate 1, and none at 0', async () => {
    const [a, b] = await startPair();
    a.transport.setFaults({ dropRate: 1 });
    a.transport.send(commit('n1', 'n2'));
    b.transport.send(commit('n2', 'n1'));
    await waitFor(() => a.transport.stats().dropped['fault-in'] === 1, 'the dropped message');
    expect(a.transport.stats().dropped['fault-out']).toBe(1);
    a.transport.setFaults({ dropRate: 0 });
    const after = commit('n1', 'n2');
    a.transport.send(after);
    b.transport.send(commit('n2', 'n1'));
    await waitFor(() => a.inbox.length === 1 && b.inbox.length === 1, 'delivery after drops');
    expect(b.inbox).toEqual([after]);
  });

  it('draws drops from the injected random source', async () => {
    const draws = [0.1, 0.9];
    const a = await startNode('n1', { n2: NOWHERE }, { random: () => draws.shift() ?? 0 });
    a.transport.setFaults({ dropRate: 0.5 });
    a.transport.send(commit('n1', 'n2'));
    a.transport.send(commit('n1', 'n2'));
    expect(a.transport.stats().dropped['fault-out']).toBe(1);
    expect(a.transport.stats().sentDatagrams).toBe(1);
  });

  it('delays outgoing messages, and close() cancels what is still delayed', async () => {
    const [a, b] = await startPair();
    a.transport.setFaults({ delayMs: 150 });
    const sentAt = Date.now();
    a.transport.send(commit('n1', 'n2'));
    await waitFor(() => b.inbox.length === 1, 'the delayed message');
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(140);
    a.transport.send(commit('n1', 'n2'));
    await a.transport.close();
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(b.inbox).toHaveLength(1);
  });

  it('rejects invalid fault settings', async () => {
    const a = await startNode('n1', { n2: NOWHERE });
    expect(() => a.transport.setFaults({ dropRate: 1.5 })).toThrow(RangeError);
    expect(() => a.transport.setFaults({ delayMs: -1 })).toThrow(RangeError);
    expect(a.transport.faults()).toEqual({ dropRate: 0, delayMs: 0, isolate: [] });
  });

  it('notices a peer configured with another member set', async () => {
    const a = await startNode('n1', { n2: NOWHERE });
    const b = await startNode('n2', { n1: a.transport.address(), n3: NOWHERE });
    b.transport.send(commit('n2', 'n1'));
    await waitFor(() => a.inbox.length === 1, 'the message');
    expect(a.transport.stats().memberMismatch).toEqual([{ peer: 'n2', theirDigest: membersDigest(['n1', 'n2', 'n3']), since: expect.any(Number) }]);
    // After a.transport learns of n3 too, the digests agree again.
    a.transport.setMembers(new Map([['n2', b.transport.address()], ['n3', NOWHERE]]));
    b.transport.send(commit('n2', 'n1'));
    await waitFor(() => a.inbox.length === 2, 'the second message');
    expect(a.transport.stats().memberMismatch).toEqual([]);
  });

  it('accepts nothing from a removed member', async () => {
    const [a, b] = await startPair();
    a.transport.setMembers(new Map([['n3', NOWHERE]]));
    b.transport.send(commit('n2', 'n1'));
    await waitFor(() => a.transport.stats().dropped['unknown-sender'] === 1, 'the drop');
    expect(a.inbox).toHaveLength(0);
    a.transport.send(commit('n1', 'n2'));
    expect(a.transport.stats().dropped['no-route']).toBe(1);
    expect(a.transport.peers().map((p) => p.id)).toEqual(['n3']);
  });

  it('does not move a member for an authenticated datagram from elsewhere; only an echo of its challenge from there does', async () => {
    let nowMs = 1_000_000;
    const a = await startNode('n1', { n2: NOWHERE }, { now: () => nowMs });
    const n2 = await impersonate('n2', 5);
    a.transport.setMembers(new Map([['n2', n2.address]]));
    // Whoever replays a captured datagram is elsewhere; here that datagram comes from `replayer`.
    const replayer = await impersonate('n2', 9);
    await sendRaw(replayer.socket, sealOne(n2.sealer, commit('n2', 'n1')), a.transport.address());
    await waitFor(() => a.inbox.length === 1, 'the delivered message');
    await waitFor(() => replayer.inbox.length === 1, 'the challenge at the new address');
    expect(a.transport.peers()[0]?.address).toBe(`${HOST}:${n2.address.port}`);
    const [challenge] = challenges(replayer.inbox);
    expect(challenge).toMatch(/^[0-9a-f]{16}$/);
    // More traffic from there within the interval: no second challenge.
    await sendRaw(replayer.socket, sealOne(n2.sealer, commit('n2', 'n1')), a.transport.address());
    await waitFor(() => a.inbox.length === 2, 'the second message');
    // A wrong echo, or the right one from another address, moves nothing.
    await sendRaw(replayer.socket, sealOne(n2.sealer, echo('n2', '0000000000000000')), a.transport.address());
    await sendRaw(n2.socket, sealOne(n2.sealer, echo('n2', challenge as string)), a.transport.address());
    await waitFor(() => a.transport.stats().dropped['stale-echo'] === 2, 'the stale echoes');
    expect(a.transport.peers()[0]?.address).toBe(`${HOST}:${n2.address.port}`);
    expect(replayer.inbox).toHaveLength(1);
    // Past the interval, the next datagram from there brings a new challenge, replacing the old one.
    nowMs += PATH_CHALLENGE_INTERVAL_MS;
    await sendRaw(replayer.socket, sealOne(n2.sealer, commit('n2', 'n1')), a.transport.address());
    await waitFor(() => replayer.inbox.length === 2, 'a new challenge');
    const [, renewed] = challenges(replayer.inbox);
    await sendRaw(replayer.socket, sealOne(n2.sealer, echo('n2', challenge as string)), a.transport.address());
    await waitFor(() => a.transport.stats().dropped['stale-echo'] === 3, 'the superseded echo');
    // Only the peer holding n2's key, answering from the challenged address, moves it.
    await sendRaw(replayer.socket, sealOne(n2.sealer, echo('n2', renewed as string)), a.transport.address());
    await waitFor(() => a.transport.peers()[0]?.address === `${HOST}:${replayer.address.port}`, 'the validated move');
    expect(a.inbox.every((m) => m.type === 'commit')).toBe(true);
  });

  it('answers a member\'s challenge with an echo to the address the challenge came from', async () => {
    const a = await startNode('n1', { n2: NOWHERE });
    const n2 = await impersonate('n2', 5);
    await sendRaw(n2.socket, sealOne(n2.sealer, { type: 'ping', from: 'n2', to: 'n1', commitIndex: 3, challenge: '00112233aabbccdd' }), a.transport.address());
    await waitFor(() => n2.inbox.some((m) => m.type === 'ping' && m.echo !== undefined), 'the echo');
    expect(n2.inbox.find((m) => m.type === 'ping' && m.echo !== undefined)).toEqual({ type: 'ping', from: 'n1', to: 'n2', commitIndex: 0, echo: '00112233aabbccdd' });
    expect(a.inbox).toEqual([]);
  });

  it('never accepts a removed member\'s captured join again, so a replay cannot re-add it elsewhere', async () => {
    const a = await startNode('n1', { n2: NOWHERE });
    const newcomer = await impersonate('n4', 5);
    const join: WireMessage = { type: 'join', from: 'n4', to: 'any-member' };
    const captured = sealOne(newcomer.sealer, join);
    await sendRaw(newcomer.socket, captured, a.transport.address());
    await waitFor(() => a.inbox.length === 1, 'the join');
    expect(a.transport.strangerAddress('n4')).toBe(`${HOST}:${newcomer.address.port}`);
    a.transport.setMembers(new Map([['n2', NOWHERE], ['n4', newcomer.address]]));
    await sendRaw(newcomer.socket, sealOne(newcomer.sealer, commit('n4', 'n1')), a.transport.address());
    await waitFor(() => a.inbox.length === 2, 'the new member\'s message');
    a.transport.setMembers(new Map([['n2', NOWHERE]]));
    const replayer = await rawSocket();
    await sendRaw(replayer, captured, a.transport.address());
    await waitFor(() => a.transport.stats().dropped['replayed'] === 1, 'the replayed join');
    expect(a.inbox).toHaveLength(2);
    expect(a.transport.strangerAddress('n4')).toBe(`${HOST}:${newcomer.address.port}`);
  });

  it('after a restart, still rejects a peer\'s older epochs (peer-epochs file) and moves no peer for a replay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-transport-'));
    tempDirs.push(dir);
    const fs = new NodeFileSystem();
    const n2 = await impersonate('n2', 5);
    const first = await startNode('n1', { n2: n2.address }, { peerEpochs: PeerEpochs.open(fs, dir) });
    const oldLife = sealOne(n2.sealer, commit('n2', 'n1'));
    await sendRaw(n2.socket, oldLife, first.transport.address());
    // n2 restarts (epoch 6) and keeps talking.
    const n2Restarted = new Sealer(keys.key, keys.clusterId, 'n2', 6, membersDigest(['n1', 'n2']));
    const currentLife = sealOne(n2Restarted, commit('n2', 'n1'));
    await sendRaw(n2.socket, currentLife, first.transport.address());
    await waitFor(() => first.inbox.length === 2, 'both lives');
    await first.transport.close();

    // n1 restarts on the same data directory; a replayer sends both captures.
    const second = await startNode('n1', { n2: n2.address }, { peerEpochs: PeerEpochs.open(fs, dir) });
    const replayer = await impersonate('n2', 1);
    await sendRaw(replayer.socket, oldLife, second.transport.address());
    await sendRaw(replayer.socket, currentLife, second.transport.address());
    await waitFor(() => second.transport.stats().receivedDatagrams === 2, 'the replays');
    expect(second.transport.stats().dropped).toEqual({ replayed: 1 });
    // The capture from n2's current epoch gets through once (a duplicate, which Paxos tolerates), but
    // the peer stays where it is: the replayer cannot answer the challenge.
    expect(second.inbox).toHaveLength(1);
    await waitFor(() => challenges(replayer.inbox).length === 1, 'the challenge');
    expect(second.transport.peers()[0]?.address).toBe(`${HOST}:${n2.address.port}`);
  });

  it('never throws on a message it cannot send: counts it by reason, reports it, and sends the rest', async () => {
    const errors: [string, SendErrorReason, string][] = [];
    const b = await startNode('n2', { n1: NOWHERE });
    const a = await startNode('n1', { n2: b.transport.address() }, { onSendError: (message, reason, detail) => errors.push([message.type, reason, detail]) });
    const huge: WireMessage = { type: 'snapshotChunk', from: 'n1', to: 'n2', transferId: 1, slot: 1, totalBytes: 1, offset: 0, data: new Uint8Array(17 * 1024 * 1024) };
    const invalid: WireMessage = { ...commit('n1', 'n2'), commitIndex: -1 };
    const foreign = commit('n2', 'n1');
    const fine = [commit('n1', 'n2'), commit('n1', 'n2')];
    expect(() => a.transport.sendAll([fine[0] as WireMessage, huge, invalid, foreign, fine[1] as WireMessage])).not.toThrow();
    expect(() => a.transport.send(huge)).not.toThrow();
    await waitFor(() => b.inbox.length === 2, 'the messages that could be sent');
    expect(b.inbox).toEqual(fine);
    expect(a.transport.stats().dropped).toEqual({ 'too-large': 2, unencodable: 1, 'not-from-self': 1 });
    expect(errors.map(([type, reason]) => [type, reason])).toEqual([
      ['snapshotChunk', 'too-large'],
      ['commit', 'unencodable'],
      ['commit', 'not-from-self'],
      ['snapshotChunk', 'too-large'],
    ]);
    expect(errors[0]?.[2]).toMatch(/exceeds the \d+-byte limit/);
  });

  it('throws only for caller bugs outside sending: an invalid member, bad options', async () => {
    const a = await startNode('n1', { n2: NOWHERE });
    expect(() => a.transport.setMembers(new Map([['bad id!', { host: HOST, port: 1234 }]]))).toThrow(/invalid member id/);
    await expect(startNode('n1', {}, { secret: 'short' })).rejects.toThrow(/at least 8 characters/);
    await expect(startNode('n1', {}, { maxDatagramBytes: 70_000 })).rejects.toThrow(/maxDatagramBytes/);
    await expect(startNode('n1', { n1: NOWHERE })).rejects.toThrow(/must not include this node/);
  });

  it('never throws on socket errors and stays usable after close', async () => {
    const a = await startNode('n1', { n2: { host: '203.0.113.1', port: 65_535 } });
    // An address the socket cannot send to: counted, not thrown.
    a.transport.setMembers(new Map([['n2', { host: '255.255.255.255', port: 9 }]]));
    a.transport.send(commit('n1', 'n2'));
    await waitFor(() => a.transport.stats().sendErrors === 1, 'the send error');
    await a.transport.close();
    await a.transport.close();
    expect(() => a.transport.send(commit('n1', 'n2'))).not.toThrow();
  });

  it('reports an error when the port is taken', async () => {
    const a = await startNode('n1', {});
    await expect(startNode('n2', {}, { listenPort: a.transport.address().port })).rejects.toThrow(/EADDRINUSE/);
  });
});
