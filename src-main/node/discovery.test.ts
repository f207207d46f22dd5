import { EventEmitter } from 'node:events';
import { decode, encode, type Answer, type Question } from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterTag } from './discovery-records';
import { FORGET_AFTER_MS, LanDiscovery, type Mdns } from './discovery';
import { silentLogger, type Logger } from './logger';

/** A LAN segment: every packet reaches every socket on it, the sender's own included (multicast loopback). */
class FakeLan {
  readonly sockets: FakeMdns[] = [];
  readonly sent: Buffer[] = [];

  broadcast(from: FakeMdns, packet: Parameters<typeof encode>[0]): void {
    const bytes = encode(packet);
    this.sent.push(bytes);
    for (const socket of this.sockets) {
      if (socket.destroyed) continue;
      const decoded = decode(bytes);
      socket.emit(decoded.type === 'query' ? 'query' : 'response', decoded, { address: from.address, port: 5353 });
    }
  }
}

class FakeMdns extends EventEmitter {
  destroyed = false;

  constructor(
    private readonly lan: FakeLan,
    readonly address: string,
  ) {
    super();
    lan.sockets.push(this);
  }

  query(questions: Question[], callback?: (error: Error | null) => void): void {
    this.lan.broadcast(this, { type: 'query', questions });
    callback?.(null);
  }

  respond(answers: Answer[], callback?: (error: Error | null) => void): void {
    this.lan.broadcast(this, { type: 'response', answers });
    callback?.(null);
  }

  destroy(callback?: () => void): void {
    this.destroyed = true;
    callback?.();
  }
}

let now = 1_000_000;
const running: LanDiscovery[] = [];

function discovery(lan: FakeLan, address: string, logger: Logger = silentLogger): LanDiscovery {
  const created = new LanDiscovery({ logger, open: () => new FakeMdns(lan, address) as unknown as Mdns, now: () => now, addresses: () => [address] });
  running.push(created);
  return created;
}

const TAG_A = clusterTag('aaaa');
const TAG_B = clusterTag('bbbb');

afterEach(async () => {
  for (const one of running.splice(0)) await one.stop();
});

describe('LanDiscovery', () => {
  it('lists the other clusters it hears, grouped, never its own', () => {
    const lan = new FakeLan();
    const ann = discovery(lan, '192.168.1.10');
    const bob = discovery(lan, '192.168.1.11');
    const cyd = discovery(lan, '192.168.1.12');
    const dan = discovery(lan, '192.168.1.13');
    ann.announce({ id: 'ann', name: 'Ann', tag: TAG_A, members: 2, port: 7400 });
    now += 1_000;
    bob.announce({ id: 'bob', name: 'Bob', tag: TAG_A, members: 2, port: 7401 });
    now += 1_000;
    cyd.announce({ id: 'cyd', name: 'Cyd', tag: TAG_B, members: 1, port: 7400 });

    const seenByDan = dan.view();
    expect(seenByDan.enabled).toBe(true);
    expect(seenByDan.clusters.map((c) => ({ tag: c.tag, members: c.members, heard: c.heard }))).toEqual([
      { tag: TAG_B, members: 1, heard: [{ id: 'cyd', name: 'Cyd', address: '192.168.1.12:7400' }] },
      { tag: TAG_A, members: 2, heard: [{ id: 'ann', name: 'Ann', address: '192.168.1.10:7400' }, { id: 'bob', name: 'Bob', address: '192.168.1.11:7401' }] },
    ]);
    // Ann sees only the other cluster, not her own.
    expect(ann.view().clusters.map((c) => c.tag)).toEqual([TAG_B]);
  });

  it('a node that starts later hears the others through its query; a goodbye or silence removes one', async () => {
    const lan = new FakeLan();
    const ann = discovery(lan, '192.168.1.10');
    ann.announce({ id: 'ann', name: 'Ann', tag: TAG_A, members: 1, port: 7400 });
    now += 1_000;
    const late = discovery(lan, '192.168.1.20');
    expect(late.view().clusters.map((c) => c.heard[0]?.id)).toEqual(['ann']);

    // A change of what ann announces is heard at once; a new cluster (she joined another) says goodbye to the old.
    ann.announce({ id: 'ann', name: 'Ann', tag: TAG_B, members: 3, port: 7400 });
    expect(late.view().clusters.map((c) => [c.tag, c.members])).toEqual([[TAG_B, 3]]);

    await ann.stop();
    running.splice(running.indexOf(ann), 1);
    expect(late.view().clusters).toEqual([]);

    const cyd = discovery(lan, '192.168.1.12');
    cyd.announce({ id: 'cyd', name: 'Cyd', tag: TAG_A, members: 1, port: 7400 });
    expect(late.view().clusters).toHaveLength(1);
    lan.sockets.find((s) => s.address === '192.168.1.12')?.destroy(); // unplugged: no goodbye
    now += FORGET_AFTER_MS + 1;
    expect(late.view().clusters).toEqual([]);
  });

  it('answers a flood of queries at most once a second', () => {
    const lan = new FakeLan();
    const ann = discovery(lan, '192.168.1.10');
    ann.announce({ id: 'ann', name: 'Ann', tag: TAG_A, members: 1, port: 7400 });
    const asker = new FakeMdns(lan, '192.168.1.66');
    const answers = (): number => lan.sent.filter((bytes) => decode(bytes).type === 'response').length;
    const before = answers();
    for (let i = 0; i < 50; i++) asker.query([{ name: '_synod._udp.local', type: 'PTR' }]);
    expect(answers() - before).toBeLessThanOrEqual(1);
    now += 1_001;
    asker.query([{ name: '_synod._udp.local', type: 'PTR' }]);
    expect(answers() - before).toBeLessThanOrEqual(2);
    expect(answers() - before).toBeGreaterThanOrEqual(1);
  });

  it('never sends the secret, and says why it cannot work instead of failing the node', () => {
    const lan = new FakeLan();
    const ann = discovery(lan, '192.168.1.10');
    ann.announce({ id: 'ann', name: 'Ann', tag: TAG_A, members: 1, port: 7400 });
    expect(lan.sent.some((bytes) => bytes.includes(Buffer.from('aaaa')))).toBe(false);

    const events: string[] = [];
    const broken = discovery(lan, '192.168.1.11', { event: (name, fields) => events.push(`${name} ${String(fields?.['reason'])}`) });
    const socket = lan.sockets.at(-1) as FakeMdns;
    socket.emit('error', Object.assign(new Error('bind EACCES 0.0.0.0:5353'), { code: 'EACCES' }));
    expect(broken.view()).toEqual({ enabled: false, note: expect.stringMatching(/^Finding clusters on the local network does not work here: bind EACCES/), clusters: [] });
    expect(events).toEqual(['discovery-failed bind EACCES 0.0.0.0:5353']);
  });
});
