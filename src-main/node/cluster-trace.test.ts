/**
 * Three nodes' cluster traces wired together through an in-memory network that goes through the codec
 * and the validation boundary like the real one, each node with its own clock.
 */
import { describe, expect, it } from 'vitest';
import type { TraceMessage } from '../../shared/domain';
import { DEFAULT_PROTOCOL_CONFIG } from '../core/config';
import { decodeMessage, encodeMessage } from '../net/codec';
import { isTraceTraffic, type TraceWireMessage } from '../net/wire';
import { ClusterTrace } from './cluster-trace';
import { admitInbound } from './inbound-check';
import { TRACE_LEASE_MS, WATCH_MS } from './trace-watch';

/** Each node's clock: true time plus this skew (ms). */
const SKEW: Readonly<Record<string, number>> = { n1: 0, n2: 1_500, n3: -700 };
const LINK_MS = 1;

class Network {
  trueNow = 1_764_400_000_000;
  readonly nodes = new Map<string, ClusterTrace>();
  private readonly inFlight: { at: number; message: TraceWireMessage }[] = [];
  readonly drops: string[] = [];
  members = ['n1', 'n2', 'n3'];

  constructor() {
    for (const id of Object.keys(SKEW)) {
      this.nodes.set(
        id,
        new ClusterTrace({ self: id, members: () => this.members, send: (m) => this.post(m), push: (m) => this.post(m), now: () => this.clock(id) }),
      );
    }
  }

  clock(id: string): number {
    return this.trueNow + (SKEW[id] ?? 0);
  }

  node(id: string): ClusterTrace {
    return this.nodes.get(id) as ClusterTrace;
  }

  /** Runs true time forward by `ms` in steps of 1 ms, delivering and ticking (every 250 ms) on the way. */
  run(ms: number): void {
    for (let step = 0; step < ms; step++) {
      this.trueNow++;
      for (const due of this.inFlight.filter((f) => f.at <= this.trueNow)) {
        this.inFlight.splice(this.inFlight.indexOf(due), 1);
        const message = admitInbound(decodeMessage(encodeMessage(due.message)), { commitIndex: 0, config: DEFAULT_PROTOCOL_CONFIG }, (reason) => this.drops.push(reason));
        if (message !== null && isTraceTraffic(message)) this.node(message.to).onMessage(message);
      }
      if (this.trueNow % 250 === 0) for (const node of this.nodes.values()) node.tick();
    }
  }

  private post(message: TraceWireMessage): void {
    this.inFlight.push({ at: this.trueNow + LINK_MS, message });
  }
}

function accepted(net: Network, from: string, to: string, slot: number): TraceMessage {
  return { at: net.clock(from), direction: 'out', from, to, type: 'accepted', slot, ballot: { round: 1, node: 'n1' }, bytes: 15 };
}

describe('ClusterTrace', () => {
  it('shows at n1 what n3 sent to n2, placed on n1’s clock within the uncertainty it claims', () => {
    const net = new Network();
    net.node('n1').view({});
    net.run(50);
    const sentAt = net.trueNow;
    const record = accepted(net, 'n3', 'n2', 42);
    net.node('n3').record(record);
    net.node('n2').record({ ...record, at: net.clock('n2') + LINK_MS, direction: 'in' });
    net.run(600);
    const trace = net.node('n1').view({});
    expect(trace.members.map((m) => [m.id, m.leaseActive])).toEqual([['n1', true], ['n2', true], ['n3', true]]);
    for (const member of trace.members.slice(1)) {
      const truth = SKEW[member.id] ?? 0;
      expect(Math.abs((member.offsetMs ?? NaN) - truth)).toBeLessThanOrEqual(member.uncertaintyMs ?? 0);
      expect(member.uncertaintyMs).toBeLessThan(2);
    }
    const seen = trace.messages.filter((m) => m.type === 'accepted' && m.slot === 42);
    expect(seen.map((m) => [m.observer, m.direction, m.from, m.to])).toEqual([['n3', 'out', 'n3', 'n2'], ['n2', 'in', 'n3', 'n2']]);
    const fromN3 = seen[0]!;
    expect(fromN3.observedAt).toBe(sentAt + SKEW['n3']!);
    expect(Math.abs(fromN3.at - (sentAt + SKEW['n1']!))).toBeLessThanOrEqual(trace.members[2]!.uncertaintyMs! + 0.05);
    expect(net.drops).toEqual([]);
  });

  it('makes the members stop sending once nobody has asked for longer than the watch and the lease', () => {
    const net = new Network();
    net.node('n1').view({});
    for (let i = 0; i < 4; i++) {
      net.node('n2').record(accepted(net, 'n2', 'n1', i));
      net.run(1_000);
      net.node('n1').view({});
    }
    expect(net.node('n2').view({ watch: false }).served.leases).toBe(1);
    // Nobody asks any more: n1 stops watching after WATCH_MS and ends its leases.
    net.run(WATCH_MS + 500);
    const n2 = net.node('n2').view({ watch: false }).served;
    expect(n2.leases).toBe(0);
    for (let i = 0; i < 10; i++) {
      net.node('n2').record(accepted(net, 'n2', 'n1', 100 + i));
      net.node('n3').record(accepted(net, 'n3', 'n1', 100 + i));
      net.run(1_000);
    }
    expect(net.node('n2').view({ watch: false }).served).toEqual(n2);
    expect(net.node('n1').view({ watch: false }).members.map((m) => m.leaseActive)).toEqual([true, false, false]);
  });

  it('lets a lease lapse when the release is lost (the watcher vanished)', () => {
    const net = new Network();
    net.node('n1').view({});
    net.run(100);
    expect(net.node('n3').view({ watch: false }).served.leases).toBe(1);
    net.members = ['n1', 'n2', 'n3'];
    // n1 vanishes: nothing of it is delivered any more.
    net.nodes.delete('n1');
    const run = (ms: number): void => {
      for (let i = 0; i < ms; i++) {
        net.trueNow++;
        if (net.trueNow % 250 === 0) for (const node of net.nodes.values()) node.tick();
      }
    };
    run(TRACE_LEASE_MS + 300);
    expect(net.node('n3').view({ watch: false }).served.leases).toBe(0);
  });

  it('serves members only: a node outside the configuration is refused, counted, and sees nobody', () => {
    const net = new Network();
    net.members = ['n1', 'n2'];
    net.node('n3').view({});
    net.run(100);
    for (const id of ['n1', 'n2']) {
      expect(net.node(id).dropped()['trace-request-not-member']).toBe(1);
      expect(net.node(id).view({ watch: false }).served.leases).toBe(0);
    }
    net.node('n3').record(accepted(net, 'n3', 'n1', 1));
    net.run(600);
    expect(net.node('n3').view({}).members.map((m) => [m.id, m.leaseActive])).toEqual([['n3', true], ['n1', false], ['n2', false]]);
  });
});
