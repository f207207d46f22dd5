/** The simulated links: bandwidth makes datagrams queue behind each other, per directed link, within a bound. */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src-main/core/random';
import { EventQueue } from './event-queue';
import { SimNetwork } from './network';
import { SimRandom } from './sim-random';

/** A network of constant 1 ms delay (no jitter), so arrival times show the queueing alone. */
function network(bandwidthBytesPerMs: number | null, queueLimitMs = 250): { net: SimNetwork; events: EventQueue; arrivals: Map<string, number> } {
  const events = new EventQueue();
  const net = new SimNetwork(events, new SimRandom(seededRandom(1)), bandwidthBytesPerMs === null ? null : { bandwidthBytesPerMs, queueLimitMs });
  net.conditions = { lossRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 1 };
  return { net, events, arrivals: new Map() };
}

function runAll(events: EventQueue): void {
  while (events.runNext(Infinity)) {
    /* deliver everything */
  }
}

describe('simulated links', () => {
  it('a datagram occupies its link for size / bandwidth, and the next one waits behind it', () => {
    const { net, events, arrivals } = network(100);
    net.send('a', 'b', 5_000, () => arrivals.set('bulk', events.now));
    net.send('a', 'b', 100, () => arrivals.set('heartbeat', events.now));
    net.send('b', 'a', 100, () => arrivals.set('reply', events.now));
    runAll(events);
    expect(arrivals.get('bulk')).toBe(50 + 1);
    // Queued behind 5,000 bytes at 100 bytes/ms on the same link...
    expect(arrivals.get('heartbeat')).toBe(50 + 1 + 1);
    // ...while the opposite direction is a link of its own.
    expect(arrivals.get('reply')).toBe(1 + 1);
    expect(net.bytesSent).toBe(5_200);
  });

  it('drops what would wait longer than the queue limit, and counts it', () => {
    const { net, events } = network(100, 20);
    expect(net.send('a', 'b', 3_000, () => undefined)).toBe(true);
    // The link is busy for 30 ms, more than the 20 ms a datagram may wait.
    expect(net.send('a', 'b', 10, () => undefined)).toBe(false);
    expect(net.overflowed).toBe(1);
    events.schedule(15, () => expect(net.send('a', 'b', 10, () => undefined)).toBe(true));
    runAll(events);
  });

  it('without a bandwidth, datagrams only take the random delay', () => {
    const { net, events, arrivals } = network(null);
    net.send('a', 'b', 10_000_000, () => arrivals.set('huge', events.now));
    runAll(events);
    expect(arrivals.get('huge')).toBe(1);
  });

  it('a cut link carries nothing and takes no bandwidth', () => {
    const { net, events, arrivals } = network(100);
    net.cutLink('a', 'b');
    expect(net.send('a', 'b', 5_000, () => arrivals.set('cut', events.now))).toBe(false);
    net.heal();
    net.send('a', 'b', 100, () => arrivals.set('after', events.now));
    runAll(events);
    expect(arrivals.has('cut')).toBe(false);
    expect(arrivals.get('after')).toBe(2);
  });
});
