import { describe, expect, it } from 'vitest';
import type { Faults, RemoteFaultView } from '../../shared/domain';
import { NO_FAULTS } from '../net/udp-transport';
import { FaultsInForce } from './faults-in-force';
import type { LogFields } from './logger';

/** Faults over a fake transport (`inForce`) and the sets members asked for (`held`). */
function faults() {
  const world = { inForce: NO_FAULTS, held: [] as RemoteFaultView[], events: [] as { name: string; fields: LogFields | undefined }[] };
  const faultsInForce = new FaultsInForce({
    heldFaultSets: () => world.held.map((held) => held.faults),
    heldFaults: () => world.held,
    setTransportFaults: (next: Faults) => (world.inForce = next),
    transportFaults: () => world.inForce,
    logger: { event: (name, fields) => world.events.push({ name, fields }) },
  });
  return { faultsInForce, world };
}

describe('FaultsInForce', () => {
  it('changes only the settings given, and puts the local set in force combined with the sets members asked for', () => {
    const { faultsInForce, world } = faults();
    world.held = [{ from: 'n2', faults: { dropRate: 0.5, delayMs: 0, isolate: ['n3'] }, expiresInMs: 10_000 }];
    expect(faultsInForce.setLocal({ delayMs: 40, isolate: ['n4', 'n4'] })).toEqual({ dropRate: 0, delayMs: 40, isolate: ['n4'] });
    expect(faultsInForce.setLocal({ dropRate: 0.1 })).toEqual({ dropRate: 0.1, delayMs: 40, isolate: ['n4'] });
    expect(faultsInForce.local).toEqual({ dropRate: 0.1, delayMs: 40, isolate: ['n4'] });
    expect(world.inForce).toEqual({ dropRate: 0.5, delayMs: 40, isolate: ['n3', 'n4'] });
    expect(world.events.at(-1)).toEqual({ name: 'faults', fields: { dropRate: 0.5, delayMs: 40, isolate: 'n3,n4', remote: 'n2' } });
  });

  it('follows the sets members asked for as they change, keeping the local set', () => {
    const { faultsInForce, world } = faults();
    faultsInForce.setLocal({ isolate: ['n4'] });
    world.held = [{ from: 'n2', faults: { dropRate: 0, delayMs: 100, isolate: [] }, expiresInMs: 10_000 }];
    faultsInForce.recombine();
    expect(world.inForce).toEqual({ dropRate: 0, delayMs: 100, isolate: ['n4'] });
    world.held = [];
    faultsInForce.recombine();
    expect(world.inForce).toEqual({ dropRate: 0, delayMs: 0, isolate: ['n4'] });
    expect(world.events.map((event) => event.fields?.remote)).toEqual(['', 'n2', '']);
  });
});
