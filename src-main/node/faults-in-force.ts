/**
 * The faults the transport injects at this node: the set its own dashboard chose (setFaults, no expiry)
 * combined with every set members asked it to hold (cluster-control.ts, combineFaults). Either side
 * changes on its own; each change hands the transport the new combination and logs what is in force.
 */
import type { Faults, RemoteFaultView } from '../../shared/domain';
import { NO_FAULTS } from '../net/udp-transport';
import { combineFaults } from './cluster-control';
import type { Logger } from './logger';

export interface FaultsInForceContext {
  /** The fault sets members asked this node to hold, in force now. */
  readonly heldFaultSets: () => readonly Faults[];
  /** The same, with who asked (for the log). */
  readonly heldFaults: () => readonly RemoteFaultView[];
  readonly setTransportFaults: (faults: Faults) => void;
  readonly transportFaults: () => Faults;
  readonly logger: Logger;
}

export class FaultsInForce {
  private localFaults: Faults = NO_FAULTS;

  constructor(private readonly ctx: FaultsInForceContext) {}

  /** The faults this node's own dashboard set (those members asked for are in heldFaults()). */
  get local(): Faults {
    return this.localFaults;
  }

  /** Changes the given settings of this node's own set (the others stay); returns the whole set. */
  setLocal(faults: Partial<Faults>): Faults {
    const next = { ...this.localFaults, ...faults };
    this.ctx.setTransportFaults(combineFaults([next, ...this.ctx.heldFaultSets()]));
    this.localFaults = { dropRate: next.dropRate, delayMs: next.delayMs, isolate: [...new Set(next.isolate)] };
    this.log();
    return this.localFaults;
  }

  /** The sets members asked for changed (a request, an expiry): the transport's faults follow. */
  recombine(): void {
    this.ctx.setTransportFaults(combineFaults([this.localFaults, ...this.ctx.heldFaultSets()]));
    this.log();
  }

  private log(): void {
    const inForce = this.ctx.transportFaults();
    this.ctx.logger.event('faults', { ...inForce, isolate: inForce.isolate.join(','), remote: this.ctx.heldFaults().map((held) => held.from).join(',') });
  }
}
