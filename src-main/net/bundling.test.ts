/** A turn's messages to one peer share datagrams (real UDP on loopback). */
import { afterEach, expect, it } from 'vitest';
import type { WireMessage } from './wire';
import { UdpTransport } from './udp-transport';

const open: UdpTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

it('packs small messages for one peer into few datagrams, in order, and still fragments a large one', async () => {
  const received: WireMessage[] = [];
  const b = await UdpTransport.open({ self: 'b', listenHost: '127.0.0.1', listenPort: 0, secret: 'bundling secret', epoch: 1, members: new Map([['a', { host: '127.0.0.1', port: 9 }]]), onMessage: (m) => received.push(m) });
  open.push(b);
  const a = await UdpTransport.open({ self: 'a', listenHost: '127.0.0.1', listenPort: 0, secret: 'bundling secret', epoch: 1, members: new Map([['b', b.address()]]), onMessage: () => undefined });
  open.push(a);
  const small: WireMessage[] = Array.from({ length: 40 }, (_, i) => ({ type: 'ping', from: 'a', to: 'b', commitIndex: i }));
  const large: WireMessage = { type: 'forward', from: 'a', to: 'b', commands: [{ origin: 'a', seq: 1, payload: 'x'.repeat(5_000) }] };
  a.sendAll([...small, large, ...small.slice(0, 2)]);
  await new Promise((done) => setTimeout(done, 300));
  expect(received.map((m) => (m.type === 'ping' ? m.commitIndex : -1))).toEqual([...small.map((_, i) => i), -1, 0, 1]);
  // 40 pings fit in one or two datagrams; the 5 KB forward needs 4 fragments; the last two pings one more.
  expect(a.stats().sentDatagrams).toBeLessThanOrEqual(8);
});
