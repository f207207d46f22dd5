import { describe, expect, it } from 'vitest';
import { DEFAULT_PROTOCOL_CONFIG } from '../core/config';
import { drawnElectionTimeoutMaxMs, longestElectionTimeoutMs, protocolConfigOf, tickMsOf, type NodeOptions } from './node-options';

const OPTIONS: NodeOptions = { id: 'n1', dataDir: '/data/n1', listen: { host: '127.0.0.1', port: 0 }, peers: new Map(), secret: 's' };

describe('node options', () => {
  it('run the core with 30-tick election timeouts of 10 ms ticks unless told otherwise', () => {
    expect(tickMsOf(OPTIONS)).toBe(10);
    expect(protocolConfigOf(OPTIONS)).toEqual({ ...DEFAULT_PROTOCOL_CONFIG, electionTicks: 30 });
    expect(protocolConfigOf({ ...OPTIONS, protocol: { electionTicks: 12, heartbeatTicks: 2 } })).toMatchObject({ electionTicks: 12, heartbeatTicks: 2 });
  });

  it('derive the election timeouts: the random draw reaches twice the minimum, the adaptive wait five times', () => {
    expect(drawnElectionTimeoutMaxMs(OPTIONS)).toBe(600);
    expect(longestElectionTimeoutMs(OPTIONS)).toBe(1_500);
    expect(drawnElectionTimeoutMaxMs({ ...OPTIONS, tickMs: 5, protocol: { electionTicks: 10 } })).toBe(100);
    expect(longestElectionTimeoutMs({ ...OPTIONS, tickMs: 5, protocol: { electionTicks: 10 } })).toBe(250);
  });
});
