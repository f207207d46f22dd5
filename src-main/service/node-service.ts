/**
 * The SynodApi of one node: what the Electron preload and the HTTP bridge both expose. Every argument
 * is validated here too (in-process callers get the same clear errors as remote ones), and every
 * failure is an ApiError with a code and a message a person can act on.
 */
import type { ApiMethods, Discovery, LogPage, SynodApi } from '../../shared/api';
import { validateArgs } from '../../shared/validate';
import { MEMBERSHIP_DELAY_SLOTS } from '../core/membership';
import type { NodeHost } from '../node/node-host';
import type { ReplicaNode } from '../node/replica-node';
import { logEntryView } from './views';

const DEFAULT_LOG_LIMIT = 100;

/** Where the clusters heard on the local network come from (node/discovery.ts), or why there are none. */
export interface DiscoverySource {
  view(): Discovery;
}

export function discoveryOff(note: string): DiscoverySource {
  return { view: () => ({ enabled: false, note, clusters: [] }) };
}

/** The API of the node `host` runs now (it may restart with a new configuration). */
export function createNodeService(host: NodeHost, discovery: DiscoverySource = discoveryOff('This node does not look for clusters on the local network.')): SynodApi {
  return {
    status: async () => host.node.status(),
    tweet: async (raw) => {
      const { text } = validateArgs('tweet', raw);
      return host.node.submit({ type: 'tweet', text, at: Date.now() });
    },
    block: async (raw) => {
      const { user } = validateArgs('block', raw);
      return host.node.submit({ type: 'block', target: user, at: Date.now() });
    },
    unblock: async (raw) => {
      const { user } = validateArgs('unblock', raw);
      return host.node.submit({ type: 'unblock', target: user, at: Date.now() });
    },
    timeline: async (raw) => {
      const args = validateArgs('timeline', raw) ?? {};
      return host.node.app.timeline(host.node.id, args);
    },
    users: async () => host.node.app.users(),
    log: async (raw) => logPage(host.node, validateArgs('log', raw) ?? {}),
    peers: async () => host.node.status().peers,
    faults: async () => host.node.faults(),
    setFaults: async (raw) => host.node.setFaults(validateArgs('setFaults', raw)),
    config: async () => host.config(),
    updateConfig: async (raw) => host.updateConfig(validateArgs('updateConfig', raw)),
    revealSecret: async () => host.revealSecret(),
    inviteCode: async () => host.inviteCode(),
    discovered: async () => discovery.view(),
    join: async (raw) => host.join(validateArgs('join', raw)),
    removeMember: async (raw) => {
      const { id, force } = validateArgs('removeMember', raw);
      const receipt = await host.node.removeMember(id, force === true);
      return { ...receipt, effectiveSlot: receipt.slot + MEMBERSHIP_DELAY_SLOTS };
    },
    subscribe: (listener) => host.subscribe(listener),
  };
}

function logPage(node: ReplicaNode, args: NonNullable<ApiMethods['log']['args']>): LogPage {
  const status = node.status();
  const firstSlot = status.compactedThrough + 1;
  const limit = args.limit ?? DEFAULT_LOG_LIMIT;
  // By default the newest slots: up to the highest slot known here (the commit index, or beyond it for
  // slots accepted but not yet known chosen).
  const newest = Math.max(status.commitIndex, node.logRows(status.commitIndex + 1, Number.MAX_SAFE_INTEGER, 10_000).at(-1)?.slot ?? 0);
  const from = Math.max(firstSlot, args.from ?? newest - limit + 1);
  const to = from + limit - 1;
  const rows = new Map(node.logRows(from, to, limit).map((row) => [row.slot, row]));
  const entries = [];
  for (let slot = from; slot <= Math.min(to, Math.max(newest, from - 1)); slot++) entries.push(logEntryView(slot, rows.get(slot)));
  return { firstSlot, commitIndex: status.commitIndex, entries };
}
