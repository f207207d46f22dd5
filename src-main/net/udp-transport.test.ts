import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommitMessage } from '../core/types';
import { encodeMessage } from './codec';
import { MessageTooLargeError } from './fragments';
import { deriveClusterKeys } from './keys';
import { sampleAccept } from './random-messages';
import { membersDigest, Sealer } from './seal';
import { UdpTransport, type PeerAddress, type TraceEvent, type UdpTransportOptions } from './udp-transport';
import type { WireMessage } from './wire';

const SECRET = 'the shared secret of the test cluster';
const HOST = '127.0.0.1';
/** A port nothing listens on, for members whose real address is not known yet. */
const NOWHERE: PeerAddress = { host: HOST, port: 9 };

interface Node {
  readonly transport: UdpTransport;
  readonly inbox: WireMessage[];
  readonly traces: TraceEvent[];
}

const open: UdpTransport[] = [];
const rawSockets: Socket[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
  await Promise.all(rawSockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function startNode(self: string, members: Record<string, PeerAddress>, options: Partial<UdpTransportOptions> = {}): Promise<Node> {
  const inbox: WireMessage[] = [];
  const traces: TraceEvent[] = [];
  const transport = await UdpTransport.open({
    self,
    listenHost: HOST,
    listenPort: 0,
    secret: SECRET,
    epoch: 1,
    members: new Map(Object.entries(members)),
    onMessage: (m) => inbox.push(m),
    onTrace: (e) => traces.push(e),
    ...options,
  });
  open.push(transport);
  return { transport, inbox, traces };
}

/** Two members that know each other's address. */
async function startPair(): Promise<[Node, Node]> {
  const a = await startNode('n1', { n2: NOWHERE });
  const b = await startNode('n2', { n1: a.transport.address() });
  const { host, port } = b.transport.address();
  a.transport.setPeerAddress('n2', host, port);
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

function sendRaw(socket: Socket, datagram: Uint8Array, to: PeerAddress): Promise<void> {
  return new Promise((resolve, reject) => socket.send(datagram, to.port, to.host, (error) => (error ? reject(error) : resolve())));
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
    a.transport.setPeerAddress('n2', HOST, port);
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

  it('follows a member that restarts on another port', async () => {
    const [a, b] = await startPair();
    await b.transport.close();
    const moved = await startNode('n2', { n1: a.transport.address() }, { epoch: 2 });
    expect(moved.transport.address().port).not.toBe(b.transport.address().port);
    moved.transport.send(commit('n2', 'n1'));
    await waitFor(() => a.inbox.length === 1, 'the moved peer');
    expect(a.transport.peers()).toEqual([{ id: 'n2', address: `${HOST}:${moved.transport.address().port}`, lastHeardAt: expect.any(Number) as number }]);
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

  it('throws only for caller bugs: foreign sender, oversized message, unknown member, bad options', async () => {
    const a = await startNode('n1', { n2: NOWHERE });
    expect(() => a.transport.send(commit('n2', 'n1'))).toThrow(/from n2/);
    const huge: WireMessage = { type: 'snapshotChunk', from: 'n1', to: 'n2', transferId: 1, slot: 1, totalBytes: 1, offset: 0, data: new Uint8Array(17 * 1024 * 1024) };
    expect(() => a.transport.send(huge)).toThrow(MessageTooLargeError);
    expect(() => a.transport.setPeerAddress('n7', HOST, 1234)).toThrow(/not a member/);
    await expect(startNode('n1', {}, { secret: 'short' })).rejects.toThrow(/at least 8 characters/);
    await expect(startNode('n1', {}, { maxDatagramBytes: 70_000 })).rejects.toThrow(/maxDatagramBytes/);
    await expect(startNode('n1', { n1: NOWHERE })).rejects.toThrow(/must not include this node/);
  });

  it('never throws on socket errors and stays usable after close', async () => {
    const a = await startNode('n1', { n2: { host: '203.0.113.1', port: 65_535 } });
    // An address the socket cannot send to: counted, not thrown.
    a.transport.setPeerAddress('n2', '255.255.255.255', 9);
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
