/**
 * One hostile-member fuzz run against a live cluster of three real `synod-node` processes on loopback:
 *
 *  1. start the cluster, clients tweeting through the HTTP API, and the watches (exits, stalls, logs);
 *  2. the rogue joins as a member of its own ("mallory": a member that never votes, so every chosen
 *     value still needs all three real replicas, see hostile-messages.ts) and then, for `seconds`,
 *     sends the generator's actions at `ratePerSecond`, answering the prepares and snapshot requests
 *     it receives with hostile promises and chunks. A real member it impersonated is dropped by its
 *     peers until its next process life (the cost of any impersonation by a holder of the secret), so
 *     once an impersonation episode is over that member is restarted, as its operator would;
 *  3. the clients stop; the cluster must converge;
 *  4. every node is restarted at once (recovery must survive whatever was chosen), captured datagrams
 *     are replayed at the fresh processes, and the cluster must converge again;
 *  5. the logs are audited.
 * The run fails on any unexpected exit, any stall over `stallMs`, any acknowledged write lost, any
 * disagreement between logs, any command twice in a log, or a cluster that does not converge.
 * Every process and directory is removed at the end, whatever happened.
 */
import type { NodeStatus } from '../../shared/api';
import { ZERO_BALLOT } from '../../src-main/core/ballot';
import type { NodeId } from '../../src-main/core/types';
import { ANY_NODE, type WireMessage } from '../../src-main/net/wire';
import { ProcessCluster, sleep, type ProcessNode } from '../process/harness';
import { newLoadResult, tweetLoad } from '../process/load';
import { Canary } from './canary';
import { ExitWatch, type ExitRecord } from './exit-watch';
import { HostileGenerator, type AttackName, type HostileView } from './hostile-messages';
import { LogAuditor, type AuditFailures } from './log-auditor';
import { OwnLagMonitor } from './own-lag';
import { Rogue, type RogueStats } from './rogue';
import { storedEpoch } from './rogue-sealer';
import { StallProbe, type StallEpisode } from './stall-probe';

export const ROGUE_ID = 'mallory';

export interface PeerFuzzOptions {
  /** How long the rogue attacks. */
  readonly seconds: number;
  readonly seed: number;
  /** Hostile actions per second (an action is one message, a bundle, a burst of fragments or a replay). */
  readonly ratePerSecond?: number;
  /** Concurrent tweeting clients. */
  readonly clients?: number;
  /** A loop held back longer than this is a stall. */
  readonly stallMs?: number;
  /** Share of actions sent impersonating a real member (0 disables impersonation). */
  readonly impersonationShare?: number;
  readonly attacks?: readonly AttackName[];
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
  /** Ends the run early (it then cleans up and throws the signal's reason). */
  readonly signal?: AbortSignal;
}

export interface PeerFuzzReport {
  readonly seed: number;
  readonly seconds: number;
  readonly rogue: RogueStats;
  readonly joined: boolean;
  /** status().dropped summed over every node and every process life. */
  readonly dropped: Readonly<Record<string, number>>;
  readonly acknowledged: number;
  readonly pending: number;
  readonly failedRequests: number;
  /** Slow answers: those blamed on a node fail the run; those during a starved machine do not. */
  readonly stalls: readonly StallEpisode[];
  /** The largest event-loop delay each node reported about itself (informative). */
  readonly loopDelayMaxMs: Readonly<Record<string, number>>;
  readonly exits: readonly ExitRecord[];
  readonly audit: AuditFailures;
  readonly unverifiedSlots: number;
  readonly convergedBeforeRestart: boolean;
  /** Restarts of members the rogue had impersonated (their peers drop them until they restart). */
  readonly victimsRestarted: number;
  readonly convergedAfterRestart: boolean;
  /** Every reason the run failed, one line each; empty when it passed. */
  readonly failures: readonly string[];
}

const PROBE_INTERVAL_MS = 50;
const AUDIT_INTERVAL_MS = 2_000;
const JOIN_TIMEOUT_MS = 20_000;
const CONVERGENCE_TIMEOUT_MS = 30_000;
const TICK_MS = 10;
/** At most this many actions per tick, so a backlog after a slow action does not become a burst. */
const MAX_ACTIONS_PER_TICK = 20;
const REPLAYS_AFTER_RESTART = 200;
/** An impersonated member is restarted once the rogue left its id alone this long. */
const VICTIM_QUIET_MS = 1_000;

export async function runPeerFuzz(options: PeerFuzzOptions): Promise<PeerFuzzReport> {
  const startedMs = performance.now();
  const log = (line: string): void => options.log?.(`[${((performance.now() - startedMs) / 1000).toFixed(1)}s] ${line}`);
  const stallMs = options.stallMs ?? 200;
  const cluster = await ProcessCluster.start({ size: 3 });
  const nodes = cluster.nodes;
  const realIds = nodes.map((node) => node.spec.id);
  const ownLag = new OwnLagMonitor();
  const canary = await Canary.start().catch(async (error: unknown) => {
    await cluster.dispose();
    throw error;
  });
  const probe = new StallProbe(nodes, ownLag, canary, stallMs, PROBE_INTERVAL_MS);
  const droppedEarlierLives: Record<string, number> = {};
  const exitWatch = new ExitWatch({
    down: (id) => {
      addCounts(droppedEarlierLives, probe.latest(id)?.dropped ?? {});
      probe.pause(id);
    },
    up: (id) => probe.resume(id),
  });
  const auditor = new LogAuditor(nodes);
  const load = newLoadResult();
  let rogue: Rogue | null = null;
  let stopLoad = false;
  let loadRun: Promise<void> = Promise.resolve();
  let auditing = false;
  let auditRun: Promise<void> = Promise.resolve();
  try {
    for (const node of nodes) exitWatch.watch(node);
    ownLag.start();
    probe.start();
    loadRun = tweetLoad(() => nodes, options.clients ?? 3, () => stopLoad, load, 'fuzz');
    auditing = true;
    auditRun = (async () => {
      while (auditing) {
        await auditor.poll();
        await sleep(AUDIT_INTERVAL_MS);
      }
    })();

    const generator = new HostileGenerator({ seed: options.seed, ...(options.impersonationShare === undefined ? {} : { impersonationShare: options.impersonationShare }), ...(options.attacks === undefined ? {} : { attacks: options.attacks }) });
    let attacking = false;
    let view = clusterView(nodes, probe, realIds);
    const openedRogue = await Rogue.open({
      secret: cluster.secret,
      self: ROGUE_ID,
      members: new Map(nodes.map((node) => [node.spec.id, { host: '127.0.0.1', port: node.spec.udpPort }])),
      realEpoch: (id) => storedEpoch(cluster.node(id).spec.dataDir),
      onMessage: (message: WireMessage) => {
        if (!attacking || message.to !== ROGUE_ID) return;
        if (message.type === 'prepare') openedRogue.perform(generator.answerPrepare(view, message));
        if (message.type === 'snapshotRequest') openedRogue.perform(generator.answerSnapshotRequest(message));
      },
    });
    rogue = openedRogue;

    const joined = await joinAsMember(openedRogue, nodes, probe, options.signal);
    log(joined ? `${ROGUE_ID} joined the cluster` : `${ROGUE_ID} could not join within ${JOIN_TIMEOUT_MS} ms: attacking as a stranger`);
    attacking = true;
    const attackStart = performance.now();
    let sent = 0;
    let lastMembers = '';
    // A member the rogue impersonated is dropped by its peers until its next process life (a newer
    // epoch): restart it once the episode is over, as its operator would, so the cluster stays live.
    const stopCodes: string[] = [];
    const victimRestarts = new Map<NodeId, Promise<void>>();
    let victimsRestarted = 0;
    const restartVictims = (quietMs: number): void => {
      for (const id of openedRogue.takeQuietVictims(quietMs, new Set(victimRestarts.keys()))) {
        victimsRestarted++;
        victimRestarts.set(id, restartCleanly(exitWatch, cluster.node(id), stopCodes).finally(() => victimRestarts.delete(id)));
      }
    };
    while (performance.now() - attackStart < options.seconds * 1000) {
      options.signal?.throwIfAborted();
      view = clusterView(nodes, probe, realIds);
      const members = view.members.join(',');
      if (members !== lastMembers) {
        openedRogue.setMembers(view.members);
        lastMembers = members;
      }
      const due = Math.min(MAX_ACTIONS_PER_TICK, Math.floor(((performance.now() - attackStart) / 1000) * (options.ratePerSecond ?? 200)) - sent);
      for (let i = 0; i < due; i++, sent++) openedRogue.perform(generator.next(view));
      restartVictims(VICTIM_QUIET_MS);
      await sleep(TICK_MS);
    }
    attacking = false;
    for (restartVictims(0); victimRestarts.size > 0; restartVictims(0)) await Promise.all(victimRestarts.values());
    log(`attack over after ${sent} actions (${victimsRestarted} restarts of impersonated members); waiting for the clients and for convergence`);

    stopLoad = true;
    await loadRun;
    options.signal?.throwIfAborted();
    const stuckBeforeRestart = await waitForConvergence(nodes, CONVERGENCE_TIMEOUT_MS);
    const convergedBeforeRestart = stuckBeforeRestart === null;
    log(`converged before restarts: ${convergedBeforeRestart}; restarting every node`);
    // All at once, as after a power cut: recovery must survive whatever the attack got chosen.
    await Promise.all(nodes.filter((node) => node.running).map((node) => restartCleanly(exitWatch, node, stopCodes)));
    options.signal?.throwIfAborted();
    for (let i = 0; i < REPLAYS_AFTER_RESTART; i++) openedRogue.perform({ kind: 'replay', attack: 'replay', source: i % 2 === 0 ? 'captured' : 'own', position: i / REPLAYS_AFTER_RESTART, to: realIds[i % realIds.length] as NodeId });
    const stuckAfterRestart = await waitForConvergence(nodes, CONVERGENCE_TIMEOUT_MS);
    const convergedAfterRestart = stuckAfterRestart === null;
    log(`converged after restarts: ${convergedAfterRestart}; auditing`);

    await exitWatch.close();
    await probe.stop();
    auditing = false;
    await auditRun;
    await auditor.poll();
    const audit = auditor.check(load.acknowledged, load.pending);
    const dropped = { ...droppedEarlierLives };
    for (const node of nodes) addCounts(dropped, (await node.status().catch(() => null))?.dropped ?? {});
    const rogueStats = openedRogue.stats();
    const report = {
      seed: options.seed,
      seconds: options.seconds,
      rogue: rogueStats,
      joined,
      dropped,
      acknowledged: load.acknowledged.size,
      pending: load.pending.size,
      failedRequests: load.failed,
      stalls: probe.stalls(),
      loopDelayMaxMs: probe.loopDelayMaxMs(),
      exits: exitWatch.exits(),
      audit,
      unverifiedSlots: auditor.unverifiedSlots,
      convergedBeforeRestart,
      convergedAfterRestart,
      victimsRestarted,
    };
    return { ...report, failures: failuresOf(report, stopCodes, { before: stuckBeforeRestart, after: stuckAfterRestart }) };
  } finally {
    stopLoad = true;
    auditing = false;
    await loadRun.catch(() => undefined);
    await auditRun.catch(() => undefined);
    await exitWatch.close();
    await probe.stop();
    await canary.stop();
    ownLag.stop();
    await rogue?.close();
    await cluster.dispose();
  }
}

/** The rogue asks to join as itself until every real member counts it in its configuration. */
async function joinAsMember(rogue: Rogue, nodes: readonly ProcessNode[], probe: StallProbe, signal: AbortSignal | undefined): Promise<boolean> {
  const deadline = Date.now() + JOIN_TIMEOUT_MS;
  for (let i = 0; Date.now() < deadline; i++) {
    signal?.throwIfAborted();
    const statuses = nodes.map((node) => probe.latest(node.spec.id));
    if (statuses.every((status) => status !== null && latestMembers(status).includes(ROGUE_ID))) return true;
    const contact = nodes[i % nodes.length] as ProcessNode;
    rogue.perform({ kind: 'send', attack: 'join', sealAs: ROGUE_ID, freshEpoch: false, to: contact.spec.id, messages: [{ type: 'join', from: ROGUE_ID, to: ANY_NODE }], fragmentBytes: 1_400 });
    await sleep(300);
  }
  return false;
}

/** The configuration a node will have once pending changes take effect. */
function latestMembers(status: NodeStatus): string[] {
  const members = status.membership.pending?.members ?? status.membership.members ?? [];
  return members.map((m) => m.id);
}

/** The generator's view of the cluster, from the latest statuses the probe read. */
function clusterView(nodes: readonly ProcessNode[], probe: StallProbe, realIds: readonly NodeId[]): HostileView {
  const statuses = nodes.map((node) => probe.latest(node.spec.id)).filter((status): status is NodeStatus => status !== null);
  const leader = statuses.filter((s) => s.role === 'leader').sort((a, b) => b.ballot.round - a.ballot.round)[0];
  const members = new Set<string>(realIds);
  for (const status of statuses) for (const id of latestMembers(status)) members.add(id);
  return {
    self: ROGUE_ID,
    realMembers: realIds,
    members: [...members],
    leader: leader?.id ?? null,
    leaderBallot: leader?.ballot ?? ZERO_BALLOT,
    leaderCommitIndex: leader?.commitIndex ?? 0,
    commitIndex: Math.max(0, ...statuses.map((s) => s.commitIndex)),
  };
}

/**
 * Waits until every running node applied the same slots and has nothing pending. Returns null once
 * converged, else (at the deadline) what each node last said, for the report.
 */
async function waitForConvergence(nodes: readonly ProcessNode[], timeoutMs: number): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  let last: (NodeStatus | null)[] = [];
  while (Date.now() < deadline) {
    last = await Promise.all(nodes.map((node) => (node.running ? node.status().catch(() => null) : Promise.resolve(null))));
    const answered = last.filter((s): s is NodeStatus => s !== null);
    if (answered.length === nodes.length && new Set(answered.map((s) => s.appliedIndex)).size === 1 && answered.every((s) => s.pendingCommands === 0 && s.commitIndex === s.appliedIndex)) return null;
    await sleep(200);
  }
  return nodes.map((node, i) => describeStatus(node.spec.id, last[i] ?? null)).join('; ');
}

function describeStatus(id: string, status: NodeStatus | null): string {
  if (status === null) return `${id}: no answer`;
  const ballot = (b: { round: number; node: string }): string => `${b.round}.${b.node}`;
  const unreachable = status.peers.filter((p) => !p.reachable).map((p) => p.id);
  return `${id}: ${status.role}${status.leader === null ? '' : ` of ${status.leader}`} at ${ballot(status.ballot)}, promised ${ballot(status.promised)}, commit ${status.commitIndex}, applied ${status.appliedIndex}, pending ${status.pendingCommands}${unreachable.length === 0 ? '' : `, cannot reach ${unreachable.join(',')}`}`;
}

/** Restarts a node on purpose; what went wrong (an unclean stop, no start) goes to `problems`. */
async function restartCleanly(exitWatch: ExitWatch, node: ProcessNode, problems: string[]): Promise<void> {
  try {
    const problem = await exitWatch.restartOnPurpose(node);
    if (problem !== null) problems.push(`${node.spec.id} did not stop cleanly on SIGTERM: ${problem}`);
  } catch (error) {
    problems.push(`${node.spec.id} did not come back after a restart: ${String(error).split('\n').slice(-4).join(' | ')}`);
  }
}

function addCounts(into: Record<string, number>, counts: Readonly<Record<string, number>>): void {
  for (const [reason, count] of Object.entries(counts)) into[reason] = (into[reason] ?? 0) + count;
}

/** `stuck`: what the nodes said when they failed to converge (null: converged or not checked). */
function failuresOf(report: Omit<PeerFuzzReport, 'failures'>, stopCodes: readonly string[], stuck: { before: string | null; after: string | null }): string[] {
  const failures: string[] = [];
  for (const exit of report.exits) {
    failures.push(`exit: ${exit.node} exited (${exit.signal ?? `code ${exit.code}`}), ${exit.restart}; why: ${exit.why.join(' | ').slice(0, 2_000)}`);
  }
  failures.push(...stopCodes.map((text) => `exit: ${text}`));
  for (const stall of report.stalls) if (stall.blame === 'node') failures.push(`stall: ${stall.node} answered a status call after ${stall.worstMs} ms${stall.starvedMs === null ? '' : `, ${stall.starvedMs} ms of it waiting for a CPU`} (at ${new Date(stall.startedAt).toISOString()})`);
  const { audit } = report;
  if (audit.lost > 0) failures.push(`lost: ${audit.lost} acknowledged writes missing or moved`);
  if (audit.pendingLost > 0) failures.push(`lost: ${audit.pendingLost} writes answered "pending" never chosen`);
  if (audit.disagreements > 0) failures.push(`disagreement: ${audit.disagreements} slots differ between replicas`);
  if (audit.duplicates > 0) failures.push(`duplicate: ${audit.duplicates} commands in two slots of one log`);
  failures.push(...audit.examples.map((example) => `  e.g. ${example}`));
  if (!report.convergedBeforeRestart) failures.push(`liveness: the cluster did not converge within ${CONVERGENCE_TIMEOUT_MS / 1000} s after the attack stopped: ${stuck.before}`);
  if (!report.convergedAfterRestart) failures.push(`liveness: the cluster did not converge within ${CONVERGENCE_TIMEOUT_MS / 1000} s after every node restarted: ${stuck.after}`);
  if (report.rogue.unsendable > 0) failures.push(`generator: ${report.rogue.unsendable} actions could not be encoded (${report.rogue.unsendableExamples.join('; ')})`);
  return failures;
}

/** The summary line: messages sent by type, drops by reason, writes, stalls, exits, verdict. */
export function summaryLine(report: PeerFuzzReport): string {
  const sent = Object.entries(report.rogue.messagesByType)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, count]) => `${type}:${count}`)
    .join(',');
  const dropped = Object.entries(report.dropped)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, count]) => `${reason}:${count}`)
    .join(',');
  return [
    `peer-fuzz seed=${report.seed} seconds=${report.seconds} result=${report.failures.length === 0 ? 'PASS' : 'FAIL'}`,
    `sent={${sent}} datagrams=${report.rogue.datagramsSent} replayed=${report.rogue.replayed} impersonated=${report.rogue.impersonated} victimRestarts=${report.victimsRestarted} captured=${report.rogue.captured} joined=${report.joined}`,
    `dropped={${dropped}}`,
    `acknowledged=${report.acknowledged} pending=${report.pending} failedRequests=${report.failedRequests} unverifiedSlots=${report.unverifiedSlots}`,
    `stalls=${report.stalls.filter((s) => s.blame === 'node').length} machineStalls=${report.stalls.filter((s) => s.blame === 'machine').length} loopDelayMaxMs={${Object.entries(report.loopDelayMaxMs).map(([id, ms]) => `${id}:${Math.round(ms)}`).join(',')}} exits=${report.exits.length} lost=${report.audit.lost + report.audit.pendingLost} disagreements=${report.audit.disagreements} duplicates=${report.audit.duplicates} converged=${report.convergedBeforeRestart}/${report.convergedAfterRestart}`,
  ].join(' ');
}
