/**
 * The clusters this node hears on the local network, for the Join form: asked for every POLL_MS while
 * the form is shown. What the node heard is unauthenticated announcements: this is only a list to pick
 * addresses from; joining still needs the cluster's secret.
 */
import type { DiscoveredCluster, Discovery } from '../../../shared/api';
import type { Session } from '../../app/session.svelte';
import { Fetched } from './fetched.svelte';

export const POLL_MS = 3_000;

/** How a cluster is named in the list: its members' names as they announce them. */
export function clusterLabel(cluster: DiscoveredCluster): string {
  const names = cluster.heard.map((member) => member.name);
  const unheard = cluster.members - names.length;
  return unheard > 0 ? `${names.join(', ')} and ${unheard} more` : names.join(', ');
}

export class DiscoveredState extends Fetched<Discovery> {
  constructor(session: Session) {
    super(() => session.api.discovered(), 'The clusters on this network could not be listed');
  }

  /** Keeps the list fresh until the returned function is called. */
  start(): () => void {
    void this.load();
    const timer = setInterval(() => void this.load(), POLL_MS);
    return () => clearInterval(timer);
  }
}
