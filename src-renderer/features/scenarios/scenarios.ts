/**
 * The classic scenarios, as the student reports this project grew from describe them, played on the
 * live cluster by scenario-runner.ts. Each step says what it does, what to watch for, and is reached
 * only when the node's status (or log) shows it.
 *
 * Faults go through clusterFaults (every member obeys members only, and heals itself when not renewed);
 * campaigns through campaignNow (the core's campaignNow input, no pre-vote).
 */
import { ApiError, type NodeStatus } from '../../../shared/api';
import type { Observation, RunContext, Scenario, ScenarioPlan, ScenarioStep } from './scenario-runner';

const ELECTION_MS = 15_000;
/** Long enough for the node's own request timeout (5 s) and a retransmission or two. */
const WRITE_MS = 20_000;

function peerOf(status: NodeStatus, id: string): NodeStatus['peers'][number] | undefined {
  return status.peers.find((peer) => peer.id === id);
}

/** Three or more members, this node among them, every one reachable now. */
function needsHealthyCluster(plan: ScenarioPlan, status: NodeStatus): string | null {
  if (!status.membership.isMember) return 'This node is not a member of a cluster yet.';
  if (plan.members.length < 3) return `These scenarios need three members or more (this cluster has ${plan.members.length}): a majority must survive one member's trouble. Invite machines from the Peers page.`;
  const unreachable = status.peers.filter((peer) => !peer.reachable).map((peer) => peer.id);
  if (unreachable.length > 0) return `Every member must be reachable before a scenario starts; ${unreachable.join(', ')} ${unreachable.length === 1 ? 'is' : 'are'} not. Heal the faults on the Cluster page or wait a moment.`;
  if (status.leader === null) return 'There is no leader right now; wait a moment.';
  return null;
}

/** Ballots compare by round, then by member id (core/ballot.ts). */
function isAbove(a: NodeStatus['ballot'], b: NodeStatus['ballot']): boolean {
  return a.round !== b.round ? a.round > b.round : a.node > b.node;
}

function ballotText(status: NodeStatus): string {
  return `${status.ballot.round}.${status.ballot.node}`;
}

/** A tweet whose outcome later steps read from the notes: 'chosen', 'pending' or an error's words. */
function tweetInBackground(run: RunContext, key: string, text: string): void {
  run.notes.set(key, 'waiting');
  run.api.tweet({ text }).then(
    (receipt) => run.notes.set(key, { chosen: receipt.slot }),
    (error: unknown) => run.notes.set(key, error instanceof ApiError && error.code === 'pending' ? 'pending' : error instanceof Error ? error.message : String(error)),
  );
}

function caughtUp(observation: Observation, id: string): boolean {
  const peer = peerOf(observation.status, id);
  return peer !== undefined && peer.reachable && peer.commitIndex !== null && peer.commitIndex >= observation.status.commitIndex;
}

function duel(winnerFirst: boolean): Scenario {
  const id = winnerFirst ? 'duel-a' : 'duel-b';
  return {
    id,
    title: `Duelling proposers: ${winnerFirst ? 'A' : 'B'} wins`,
    story:
      'Two members, A and B (the first two members by id), campaign for leadership one right after the other. Paxos lets only the higher ballot win: ' +
      'a ballot is a round and a member id, compared round first, then id; each campaign picks the next ballot above every ' +
      'ballot its member has seen (a higher round, or the same round with its own id when that id sorts higher), so the one that campaigns a moment later, ' +
      'having seen the first one\'s prepare, goes higher and wins. The loser learns of the higher ballot, follows the winner, ' +
      'and what it had accepted reaches the winner in the promises, which proposes it again: the loser adopts the winner\'s value, ' +
      'nothing is chosen twice. To make the intended member win, the other one is asked first and the intended one 0.3 s later ' +
      '(with a higher ballot). Campaigns asked for here skip the pre-vote, which would otherwise stop a member from unseating a live leader.',
    unavailable: needsHealthyCluster,
    steps: (plan) => {
      const [a, b] = plan.members as [string, string];
      const winner = winnerFirst ? a : b;
      const loser = winnerFirst ? b : a;
      return [
        {
          title: `${loser} campaigns first`,
          watch: `Cluster page: the leader mark moves to ${loser}. Inspector › Elections: a new row with ${loser}'s ballot.`,
          act: async (run) => {
            await run.api.campaignNow({ member: loser });
          },
          reached: ({ status }, run) => {
            if (status.leader !== loser) return false;
            run.notes.set('loserBallot', status.ballot);
            return `${loser} leads with ballot ${ballotText(status)}.`;
          },
          timeoutMs: ELECTION_MS,
        },
        {
          title: `${winner} campaigns 0.3 s later, with a higher ballot`,
          watch: `Inspector › Elections: ${winner}'s ballot is above ${loser}'s, and ${loser}'s leadership ends.`,
          act: async (run) => {
            await run.sleep(300);
            await run.api.campaignNow({ member: winner });
          },
          reached: ({ status }, run) => {
            const beaten = run.notes.get('loserBallot') as NodeStatus['ballot'];
            return status.leader === winner && isAbove(status.ballot, beaten) && `${winner} wins with ballot ${ballotText(status)}, above ${loser}'s ${beaten.round}.${beaten.node}.`;
          },
          timeoutMs: ELECTION_MS,
        },
        {
          title: `${loser} adopts ${winner}'s value`,
          watch: `Timeline: the duel tweet appears. Inspector: its slot is chosen under ${winner}'s ballot, and ${loser} has it too (Cluster page, commit index).`,
          act: async (run) => {
            const receipt = await run.api.tweet({ text: `Duel: ${winner} beat ${loser}; this tweet was chosen under ${winner}'s ballot.` });
            run.notes.set('slot', receipt.slot);
          },
          reached: (observation, run) => {
            const slot = run.notes.get('slot') as number;
            const { status } = observation;
            const loserHasIt = loser === status.id ? status.commitIndex >= slot : (peerOf(status, loser)?.commitIndex ?? 0) >= slot;
            return status.leader === winner && loserHasIt && `Slot ${slot} is chosen under ${winner}'s ballot, and ${loser}, now following ${winner}, has it.`;
          },
          timeoutMs: WRITE_MS,
        },
      ];
    },
  };
}

const LOSSY_RATE = 0.2;
const LOSSY_TWEETS = 5;

const lossy: Scenario = {
  id: 'lossy',
  title: 'Lossy rounds',
  story:
    `Every member drops ${LOSSY_RATE * 100} % of the messages it sends and receives, at random. Paxos never needs a message to arrive: ` +
    'a lost accept or vote is sent again, a lost heartbeat is covered by the next. Progress slows down, but it goes on, and nothing ' +
    'is chosen twice or lost.',
  unavailable: needsHealthyCluster,
  steps: (plan) => [
    {
      title: `Every member drops ${LOSSY_RATE * 100} % of its messages`,
      watch: 'Cluster page: "Dropped" counters (fault-in, fault-out) start climbing; the message diagram shows crossed-out dots.',
      act: async (run) => {
        for (const member of plan.members) await run.setFaults(member, { dropRate: LOSSY_RATE, delayMs: 0, isolate: [] });
      },
      reached: ({ status }) => status.remoteFaults.some((held) => held.faults.dropRate === LOSSY_RATE) && `All ${plan.members.length} members acknowledged; this node now drops ${LOSSY_RATE * 100} % too.`,
      timeoutMs: 5_000,
    },
    {
      title: `${LOSSY_TWEETS} tweets are chosen anyway`,
      watch: 'Timeline: the tweets arrive, a little late. Inspector: their slots turn chosen; retransmissions show in the message list.',
      act: async (run) => {
        for (let i = 1; i <= LOSSY_TWEETS; i++) tweetInBackground(run, `tweet${i}`, `Lossy round ${i} of ${LOSSY_TWEETS}: chosen although ${LOSSY_RATE * 100} % of messages are lost.`);
      },
      reached: ({ status }, run) => {
        const outcomes = Array.from({ length: LOSSY_TWEETS }, (_, i) => run.notes.get(`tweet${i + 1}`));
        const slots = outcomes.flatMap((outcome) => (typeof outcome === 'object' && outcome !== null ? [(outcome as { chosen: number }).chosen] : []));
        if (slots.length < LOSSY_TWEETS) return false;
        const lost = (status.dropped['fault-in'] ?? 0) + (status.dropped['fault-out'] ?? 0);
        return `All ${LOSSY_TWEETS} chosen (slots ${Math.min(...slots)}–${Math.max(...slots)}) while this node alone dropped ${lost} messages.`;
      },
      timeoutMs: 60_000,
    },
    {
      title: 'The network heals',
      watch: 'Cluster page: the Dropped counters stop climbing.',
      act: async (run) => {
        for (const member of plan.members) await run.clearFaults(member);
      },
      reached: ({ status }) => status.remoteFaults.length === 0 && 'No member drops anything any more.',
      timeoutMs: 5_000,
    },
  ],
};

const HOLE_TWEETS = 20;
/** Between two tweets: slower than a turn, so they take separate slots. */
const HOLE_TWEET_SPACING_MS = 5;
const HOLE_DROP_RATE = 0.6;

const hole: Scenario = {
  id: 'hole',
  title: 'The hole that never stalls',
  story:
    'A leader sends slots out in a pipeline, several at a time. If it dies with some of them accepted by a majority and an earlier ' +
    'one by nobody, its successor finds a hole: a slot nobody can say anything about. It does not wait for it: it fills it with a no-op ' +
    '(an empty value) so every slot after it can be applied. Here the leader loses most of its messages while commands pour in, ' +
    'and is cut off while they are in flight. ' +
    'Whether a hole appears depends on which messages were lost: the scenario says so either way.',
  unavailable: needsHealthyCluster,
  steps: (plan) => {
    const victim = plan.peers[0] as string;
    return [
      {
        title: `${victim} becomes the leader`,
        watch: `Cluster page: the leader mark on ${victim}.`,
        act: async (run) => {
          await run.api.campaignNow({ member: victim });
        },
        reached: ({ status }) => status.leader === victim && `${victim} leads with ballot ${ballotText(status)}.`,
        timeoutMs: ELECTION_MS,
      },
      {
        title: `Commands pour into ${victim}'s pipeline, and it is cut off while they are in flight`,
        watch: `Inspector: slots turn accepted but not yet chosen; Cluster page: ${victim} turns unreachable.`,
        act: async (run) => {
          const start = await run.api.status();
          run.notes.set('startSlot', start.commitIndex);
          // Most of the leader's accepts are lost now: fresh slots reach one follower, or none, or both.
          await run.setFaults(victim, { dropRate: HOLE_DROP_RATE, delayMs: 0, isolate: [] });
          for (let i = 1; i <= HOLE_TWEETS; i++) {
            tweetInBackground(run, `tweet${i}`, `In flight ${i} of ${HOLE_TWEETS} when ${victim} was cut off.`);
            await run.sleep(HOLE_TWEET_SPACING_MS);
          }
          // Cut off at once, before its retransmissions (every 30 ms) mend what was lost.
          await run.setFaults(victim, { dropRate: 0, delayMs: 0, isolate: plan.members.filter((id) => id !== victim) });
        },
        reached: ({ status }) => peerOf(status, victim)?.reachable === false && `Nobody hears ${victim} any more${status.pendingCommands > 0 ? `; ${status.pendingCommands} of this node's commands wait to be chosen` : ''}.`,
        timeoutMs: ELECTION_MS,
      },
      {
        title: 'A successor takes over',
        watch: 'Cluster page: the leader mark moves; Inspector › Elections: a new ballot.',
        reached: ({ status }) => status.leader !== null && status.leader !== victim && `${status.leader} leads with ballot ${ballotText(status)}.`,
        timeoutMs: ELECTION_MS,
      },
      {
        title: 'The successor fills the gap with a no-op',
        watch: 'Inspector: a chosen slot with no commands ("no-op") among the in-flight ones; click it to see its story.',
        readsLog: true,
        reached: ({ status, log }, run) => {
          const start = run.notes.get('startSlot') as number;
          if (status.pendingCommands > 0 || log === null) return false;
          const noop = log.entries.find((entry) => entry.slot > start && entry.status === 'chosen' && entry.commands.length === 0);
          return noop !== undefined && `Slot ${noop.slot} is a no-op: the hole ${victim} left, filled so that the slots after it could be applied. Open it in the Inspector.`;
        },
        timeoutMs: 10_000,
        missed:
          `No hole this time: every slot ${victim} had started reached a majority (or none did) before it was cut off, so the successor ` +
          'proposed them again instead of filling gaps. Every command was still chosen exactly once. Play the scenario again to try for a hole.',
      },
      {
        title: `${victim} comes back and catches up`,
        watch: `Cluster page: ${victim} reachable again, its commit index reaching this node's.`,
        act: async (run) => {
          await run.clearFaults(victim);
        },
        reached: (observation) => caughtUp(observation, victim) && `${victim} caught up to slot ${observation.status.commitIndex}.`,
        timeoutMs: 30_000,
      },
    ];
  },
};

const minority: Scenario = {
  id: 'minority',
  title: 'A minority that cannot decide',
  story:
    'This node is cut off from every other member: alone it is a minority, and Paxos decides nothing without a majority. ' +
    'A tweet written here is not lost and not chosen: it stays pending, queued on this node\'s disk. When the network heals, ' +
    'the majority hears it and it is chosen, exactly once.',
  unavailable: needsHealthyCluster,
  steps: (plan) => [
    {
      title: 'This node is cut off from the others',
      watch: 'Cluster page: every other member turns unreachable.',
      act: async (run) => {
        await run.setFaults(plan.self, { dropRate: 0, delayMs: 0, isolate: [...plan.peers] });
      },
      reached: ({ status }) => status.peers.length > 0 && status.peers.every((peer) => !peer.reachable) && 'This node hears no other member.',
      timeoutMs: ELECTION_MS,
    },
    {
      title: 'A tweet written here stays pending',
      watch: 'Timeline: the tweet is not there; the compose box says it is pending (queued, not lost).',
      act: async (run) => {
        tweetInBackground(run, 'tweet', 'Written in a minority: pending until the majority hears it.');
      },
      reached: ({ status }, run) => run.notes.get('tweet') === 'pending' && `No majority answered: the tweet is pending (${status.pendingCommands} command${status.pendingCommands === 1 ? '' : 's'} queued here).`,
      timeoutMs: WRITE_MS,
    },
    {
      title: 'The network heals and the tweet is chosen',
      watch: 'Timeline: the tweet appears; Cluster page: pending falls to 0.',
      act: async (run) => {
        await run.clearFaults(plan.self);
      },
      reached: ({ status }) => status.pendingCommands === 0 && status.peers.every((peer) => peer.reachable) && 'Heard by the majority again: the queued tweet was chosen, once.',
      timeoutMs: 30_000,
    },
  ],
};

const crash: Scenario = {
  id: 'crash',
  title: 'Crash and recovery',
  story:
    'The dashboard does not kill processes, so here a member is cut off instead, which is what a crash looks like from the others: ' +
    'they go on without it, and when it returns it learns what it missed from its peers. A real crash also loses what was in memory: ' +
    'to see that, stop a headless node with SIGKILL (kill -9 <pid> of its synod-node) and start it again with the same --data-dir. ' +
    'Its dashboard then shows the recovery banner: the checkpoint it loaded, the journal records it replayed, the slots it learned from its peers.',
  unavailable: needsHealthyCluster,
  steps: (plan) => {
    const victim = plan.peers[plan.peers.length - 1] as string;
    return [
      {
        title: `${victim} goes silent, as if it had crashed`,
        watch: `Cluster page: ${victim} turns unreachable.`,
        act: async (run) => {
          await run.setFaults(victim, { dropRate: 0, delayMs: 0, isolate: plan.members.filter((id) => id !== victim) });
        },
        reached: ({ status }, run) => {
          if (peerOf(status, victim)?.reachable !== false) return false;
          run.notes.set('victimCommit', peerOf(status, victim)?.commitIndex ?? 0);
          return `Nobody hears ${victim} any more.`;
        },
        timeoutMs: ELECTION_MS,
      },
      {
        title: 'The others go on without it',
        watch: 'Timeline: new tweets; Cluster page: the commit index climbs past the silent member\'s.',
        act: async (run) => {
          for (let i = 1; i <= 3; i++) await run.api.tweet({ text: `Written while ${victim} was down (${i} of 3).` });
        },
        reached: ({ status }, run) => status.leader !== null && status.leader !== victim && status.commitIndex > (run.notes.get('victimCommit') as number) && `The cluster is at slot ${status.commitIndex}; ${victim} stopped at ${String(run.notes.get('victimCommit'))}.`,
        timeoutMs: WRITE_MS,
      },
      {
        title: `${victim} returns and catches up from its peers`,
        watch: `Cluster page: ${victim} reachable, its commit index back level with the others.`,
        act: async (run) => {
          await run.clearFaults(victim);
        },
        reached: (observation) => caughtUp(observation, victim) && `${victim} caught up to slot ${observation.status.commitIndex}.`,
        timeoutMs: 30_000,
      },
    ];
  },
};

export const SCENARIOS: readonly Scenario[] = [duel(true), duel(false), lossy, hole, minority, crash];

export function scenarioById(id: string): Scenario | undefined {
  return SCENARIOS.find((scenario) => scenario.id === id);
}

/** The scenarios' steps are data: exported for tests that need a step's shape. */
export type { ScenarioStep };
