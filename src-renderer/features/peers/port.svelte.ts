/** The UDP port card's state: changing the port this node listens on. */
import type { Session } from '../../app/session.svelte';
import { ConfigEdit } from './config-edit.svelte';
import { portProblem } from './form-checks';

export class PortState extends ConfigEdit<number> {
  constructor(session: Session) {
    super(session, {
      current: (config) => config.port,
      problem: portProblem,
      parse: (draft) => Number(draft.trim()),
      update: (port) => ({ port }),
    });
  }
}
