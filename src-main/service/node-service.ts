/**
 * The SynodApi of one node: what the Electron preload and the HTTP bridge both expose. Every argument
 * is validated here too (in-process callers get the same clear errors as remote ones), and every
 * failure is an ApiError with a code and a message a person can act on.
 *
 * The boundary between the node and the API: the node layer (src-main/node) speaks its own terms
 * (NodeState, NodeEvent, NodeError) and never imports shared/api; this service shows them as the API's
 * views (views.ts) and errors (api-errors.ts).
 */
import type { ApiMethods, Discovery, InviteCode, LogPage, NodeConfig, SynodApi } from '../../shared/api';
import { encodeInviteCode } from '../../shared/invite-code';
import { validateArgs } from '../../shared/validate';
import { effectiveSlotOf } from '../core/membership';
import { parseHostPort } from '../net/address';
import type { NodeHost } from '../node/node-host';
import type { ReplicaNode } from '../node/replica-node';
import { asApi } from './api-errors';
import { logEntryView, nodeStatusView, peerViews, synodEventOf } from './views';

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
    status: () => asApi(() => nodeStatusView(host.node.state())),
    tweet: (raw) =>
      asApi(() => {
        const { text } = validateArgs('tweet', raw);
        return host.node.submit({ type: 'tweet', text, at: Date.now() });
      }),
    block: (raw) =>
      asApi(() => {
        const { user } = validateArgs('block', raw);
        return host.node.submit({ type: 'block', target: user, at: Date.now() });
      }),
    unblock: (raw) =>
      asApi(() => {
        const { user } = validateArgs('unblock', raw);
        return host.node.submit({ type: 'unblock', target: user, at: Date.now() });
      }),
    timeline: (raw) =>
      asApi(() => {
        const args = validateArgs('timeline', raw) ?? {};
        return host.node.app.timeline(host.node.id, args);
      }),
    users: () => asApi(() => host.node.app.users()),
    log: (raw) => asApi(() => logPage(host.node, validateArgs('log', raw) ?? {})),
    peers: () => asApi(() => peerViews(host.node.peers())),
    faults: () => asApi(() => host.node.faults()),
    setFaults: (raw) => asApi(() => host.node.setFaults(validateArgs('setFaults', raw))),
    config: () => asApi(() => configOf(host)),
    updateConfig: (raw) =>
      asApi(async () => {
        await host.updateConfig(validateArgs('updateConfig', raw));
        return configOf(host);
      }),
    revealSecret: () => asApi(() => host.revealSecret()),
    inviteCode: () => asApi(() => inviteCodeOf(host)),
    discovered: () => asApi(() => discovery.view()),
    join: (raw) =>
      asApi(async () => {
        const { address, secret, discardHistory } = validateArgs('join', raw);
        await host.join(typeof address === 'string' ? [address] : address, secret, discardHistory === true);
        return configOf(host);
      }),
    removeMember: (raw) =>
      asApi(async () => {
        const { id, force } = validateArgs('removeMember', raw);
        const receipt = await host.node.removeMember(id, force === true);
        return { ...receipt, effectiveSlot: effectiveSlotOf(receipt.slot) };
      }),
    // The node's merged trace is the API's ClusterTrace already (shared/domain.ts).
    clusterTrace: (raw) => asApi(() => host.node.clusterTraceView(validateArgs('clusterTrace', raw) ?? {})),
    clusterFaults: (raw) =>
      asApi(async () => {
        const { member, faults, ttlMs } = validateArgs('clusterFaults', raw);
        await host.node.clusterFaults(member, faults, ttlMs);
        return { member, faults: ttlMs === 0 ? { dropRate: 0, delayMs: 0, isolate: [] } : faults, ttlMs };
      }),
    campaignNow: (raw) =>
      asApi(async () => {
        const { member } = validateArgs('campaignNow', raw);
        await host.node.campaignNow(member);
        return { member };
      }),
    crashMember: (raw) =>
      asApi(async () => {
        const { member, downMs } = validateArgs('crashMember', raw);
        await host.node.crashMember(member, downMs);
        return { member, downMs };
      }),
    subscribe: (listener) => host.subscribe((event) => listener(synodEventOf(event))),
  };
}

/** This node's local configuration, as the Peers page shows it. */
function configOf(host: NodeHost): NodeConfig {
  const node = host.node;
  const address = node.address();
  return {
    id: node.id,
    name: node.name,
    address,
    peers: node.bootstrapPeers(),
    editable: host.readOnlyReason === null,
    note: host.readOnlyReason,
    hasHistory: node.hasHistory(),
    port: parseHostPort(address)?.port ?? host.listenPort,
    portNote: host.portNote,
  };
}

/** An invite code: the addresses a new machine can ask, and the secret, in one string. */
function inviteCodeOf(host: NodeHost): InviteCode {
  const addresses = host.inviteAddresses();
  return { code: encodeInviteCode({ addresses, secret: host.revealSecret().secret }), addresses };
}

function logPage(node: ReplicaNode, args: NonNullable<ApiMethods['log']['args']>): LogPage {
  const status = node.coreStatus();
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
