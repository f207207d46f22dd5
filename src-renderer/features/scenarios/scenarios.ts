/**
 * The classic scenarios, as the student reports this project grew from describe them, played on the
 * live cluster by scenario-runner.ts. Each step says what it does, what to watch for, and is reached
 * only when the node's status (or log) shows it.
 *
 * Faults go through clusterFaults (every member obeys members only, and heals itself when not renewed);
 * campaigns through campaignNow (the core's campaignNow input, no pre-vote).
 */
import { ApiError, type LogPage, type NodeStatus } from '../../../shared/api';
import { NOT_THIS_TIME, type Observation, type RunContext, type Scenario, type ScenarioPlan, type ScenarioStep } from './scenario-runner';

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

/** Polls this node's status until `check` holds; throws "`what` within … s" after `timeoutMs`. */
async function until(run: RunContext, check: (status: NodeStatus) => boolean, timeoutMs: number, what: string): Promise<void> {
  const pollMs = 100;
  for (let waited = 0; !check(await run.api.status()); waited += pollMs) {
    if (waited >= timeoutMs) throw new Error(`${what} within ${timeoutMs / 1000} s.`);
    await run.sleep(pollMs);
  }
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

/**
 * Commands poured at a time, a few milliseconds apart so that each takes a slot of its own. Not more:
 * a browser sends at most six requests at once to the node (its event stream holds one), and a tweet's
 * request lasts until the tweet is chosen, so a fifth would hold back the reads of the log and the cut.
 * (Twenty at once, as this scenario once poured, left a hole in none of 12 plays from a browser: the
 * cut reached the leader only once most of them were chosen.)
 */
const HOLE_TWEETS = 4;
const HOLE_TWEET_SPACING_MS = 4;
/**
 * What the leader loses of its messages to this node, the only member it still reaches: a gap needs a
 * slot lost and a later one received (and the commands reach the leader over the same link).
 */
const HOLE_DROP_RATE = 0.3;
/** How often this node's log is read after a pour, looking for a gap, and how long between two reads. */
const HOLE_GAP_READS = 10;
const HOLE_GAP_READ_SPACING_MS = 2;
/** Pours at most before the leader is cut off anyway. */
const HOLE_POURS = 6;
/** Attempts in all (each with a new election): a gap seen may be mended before the cut lands. */
const HOLE_ATTEMPTS = 3;

interface Gap {
  /** A slot this node has nothing for... */
  readonly missing: number;
  /** ...below this one, which it accepted (or learned chosen). */
  readonly above: number;
}

/**
 * A gap in this node's log above its commit index: a slot it knows nothing of below one it holds. When
 * no other member hears the leader, nobody but the leader holds that slot either: cut off now, it
 * leaves a hole.
 */
function gapIn(log: LogPage): Gap | null {
  const unchosen = log.entries.filter((entry) => entry.slot > log.commitIndex);
  const above = unchosen.findLast((entry) => entry.status !== 'empty');
  const missing = above === undefined ? undefined : unchosen.find((entry) => entry.status === 'empty' && entry.slot < above.slot);
  return above === undefined || missing === undefined ? null : { missing: missing.slot, above: above.slot };
}

const hole: Scenario = {
  id: 'hole',
  title: 'The hole that never stalls',
  story:
    'A leader sends slots out in a pipeline, several at a time. If it dies with a later slot accepted and an earlier ' +
    'one by nobody, its successor finds a hole: a slot nobody can say anything about. It does not wait for it: it fills it with a no-op ' +
    '(an empty value) so every slot after it can be applied. Here the leader loses touch with every member but this node, ' +
    `and ${HOLE_DROP_RATE * 100} % of its messages to this one, while commands arrive in rounds of ${HOLE_TWEETS}, a few milliseconds apart. ` +
    'The moment this node\'s log shows a gap (a slot it never received below one it accepted: nobody else has it either), it ' +
    `cuts the leader off; after ${HOLE_POURS} rounds without a gap, it cuts it off anyway. A retransmission may still mend the gap ` +
    `before the cut lands: then the scenario heals the leader, lets it catch up and plays the cut again, ${HOLE_ATTEMPTS} times at most, ` +
    'and says what it found.',
  unavailable: needsHealthyCluster,
  steps: (plan) => {
    const victim = plan.peers[0] as string;
    /** The members the leader loses touch with at once: all but this node. */
    const bystanders = plan.peers.filter((id) => id !== victim);
    const heal = async (run: RunContext): Promise<void> => {
      await run.clearFaults(plan.self);
      await run.clearFaults(victim);
    };
    /** Reads this node's log a few times, quickly, while a pour is in flight; the first gap seen, or null. */
    const watchForGap = async (run: RunContext): Promise<Gap | null> => {
      for (let read = 0; read < HOLE_GAP_READS; read++) {
        const gap = gapIn(await run.api.log({ limit: 200 }));
        if (gap !== null) return gap;
        await run.sleep(HOLE_GAP_READ_SPACING_MS);
      }
      return null;
    };
    return [
      {
        title: `${victim} becomes the leader`,
        watch: `Cluster page: the leader mark on ${victim}.`,
        act: async (run) => {
          // Once it is in touch and caught up (at once, but for a second attempt): a member back from isolation
          // has not seen its successor's ballot yet, and would campaign below it, in vain.
          await until(run, (status) => caughtUp({ status, log: null }, victim), ELECTION_MS, `${victim} did not catch up`);
          await run.api.campaignNow({ member: victim });
        },
        // Nothing pending here: a new attempt starts from a quiet cluster, as the first one did.
        reached: (observation) => {
          const { status } = observation;
          return status.leader === victim && status.pendingCommands === 0 && caughtUp(observation, victim) && `${victim} leads with ballot ${ballotText(status)}.`;
        },
        timeoutMs: ELECTION_MS,
      },
      {
        title: `Commands pour into ${victim}'s pipeline, and it is cut off while they are in flight`,
        watch: `Inspector: slots turn accepted but not yet chosen, with an empty one below them; Cluster page: ${victim} turns unreachable.`,
        act: async (run) => {
          const attempt = ((run.notes.get('attempt') as number | undefined) ?? 0) + 1;
          run.notes.set('attempt', attempt);
          run.notes.set('startSlot', (await run.api.status()).commitIndex);
          // Only this node hears the leader now, and not every time.
          await run.setFaults(victim, { dropRate: HOLE_DROP_RATE, delayMs: 0, isolate: bystanders });
          const poured: string[] = [];
          run.notes.set('poured', poured);
          let gap: Gap | null = null;
          let pour = 0;
          while (gap === null && pour < HOLE_POURS) {
            pour++;
            for (let i = 1; i <= HOLE_TWEETS; i++) {
              const key = `hole${attempt}.${pour}.${i}`;
              poured.push(key);
              tweetInBackground(run, key, `Poured into ${victim}'s pipeline: round ${pour}, ${i} of ${HOLE_TWEETS}.`);
              await run.sleep(HOLE_TWEET_SPACING_MS);
            }
            gap = await watchForGap(run);
            // No gap: this round is chosen (the commands' requests end), then the next one is poured.
            if (gap === null && pour < HOLE_POURS) await until(run, (status) => status.pendingCommands === 0, WRITE_MS, 'The commands poured were not chosen');
          }
          // Cut off at once, before a retransmission (every 30 ms) mends the gap: by this node, which applies
          // it as it is asked, without a message to the leader; the others hear the leader no more already.
          await run.setFaults(plan.self, { dropRate: 0, delayMs: 0, isolate: [victim] });
          run.notes.set('cutAt', gap === null ? `no gap in ${pour} rounds of commands: cut off anyway` : `cut off as this node's log showed slot ${gap.missing} empty below slot ${gap.above}`);
        },
        reached: ({ status }, run) => peerOf(status, victim)?.reachable === false && `Nobody hears ${victim} any more (${String(run.notes.get('cutAt'))})${status.pendingCommands > 0 ? `; ${status.pendingCommands} of this node's commands wait to be chosen` : ''}.`,
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
          if (noop !== undefined) return `Slot ${noop.slot} is a no-op: the hole ${victim} left, filled so that the slots after it could be applied. Open it in the Inspector.`;
          // Every command chosen and applied here, and no no-op among their slots: a hole lies below a slot
          // that was accepted, so it would be chosen by now. There was none.
          const outcomes = (run.notes.get('poured') as string[]).map((key) => run.notes.get(key));
          const settled = outcomes.every((outcome) => typeof outcome === 'object' && outcome !== null && (outcome as { chosen: number }).chosen <= status.commitIndex);
          return settled ? NOT_THIS_TIME : false;
        },
        timeoutMs: 10_000,
        missed:
          `No hole in ${HOLE_ATTEMPTS} attempts: each time, the slots ${victim} lost on their way to this node were mended, or came after every one ` +
          'it received, before the cut landed, so the successor found no gap: it proposed again what was accepted, and the commands still pending ' +
          'here anew. Every command was still chosen exactly once. Play the scenario again to try for a hole.',
        retry: {
          attempts: HOLE_ATTEMPTS,
          from: 0,
          again: `No hole this time: healing ${victim} and trying again`,
          reset: heal,
        },
      },
      {
        title: `${victim} comes back and catches up`,
        watch: `Cluster page: ${victim} reachable again, its commit index reaching this node's.`,
        act: heal,
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

/** How long the crashed member stays down: the others' leader notices, goes on, and it has slots to learn. */
const CRASH_DOWN_MS = 8_000;

const crash: Scenario = {
  id: 'crash',
  title: 'Crash and recovery',
  story:
    'One member crashes: asked by this dashboard over the authenticated peer channel, it drops its replica as a crash would, ' +
    'everything in memory and its socket with it, and saves nothing on the way out. The others, still a majority, go on without it ' +
    `(a new leader first, if it led). After ${CRASH_DOWN_MS / 1000} s it starts again from its data directory alone, exactly as a process started on it: ` +
    'it loads its last checkpoint, replays the journal written after it (every promise and accept it made was synced before it was sent), ' +
    'then learns from its peers the slots it missed. Its own dashboard shows that as the recovery banner (checkpoint, journal records, slots learned since), ' +
    'and its status() has the figures. To crash a whole process instead, stop a synod-node with kill -9 and start it again on the same --data directory.',
  unavailable: needsHealthyCluster,
  steps: (plan) => {
    const victim = plan.peers[plan.peers.length - 1] as string;
    return [
      {
        title: `${victim} crashes`,
        watch: `Cluster page: ${victim} turns unreachable; if it led, another member takes over.`,
        act: async (run) => {
          run.notes.set('victimCommit', peerOf(await run.api.status(), victim)?.commitIndex ?? 0);
          await run.api.crashMember({ member: victim, downMs: CRASH_DOWN_MS });
        },
        reached: ({ status }) => peerOf(status, victim)?.reachable === false && `${victim} is down; its memory is gone, its disk holds what it synced.`,
        timeoutMs: ELECTION_MS,
      },
      {
        title: 'The others go on without it',
        watch: 'Timeline: new tweets; Cluster page: the commit index climbs past the crashed member\'s.',
        act: async (run) => {
          for (let i = 1; i <= 3; i++) await run.api.tweet({ text: `Written while ${victim} was down (${i} of 3).` });
        },
        reached: ({ status }, run) => status.leader !== null && status.leader !== victim && status.commitIndex > (run.notes.get('victimCommit') as number) && `The cluster is at slot ${status.commitIndex}; ${victim} stopped at ${String(run.notes.get('victimCommit'))}.`,
        timeoutMs: WRITE_MS,
      },
      {
        title: `${victim} starts again from its disk and catches up from its peers`,
        watch: `Cluster page: ${victim} reachable again, its commit index level with the others. ${victim}'s own dashboard: the recovery banner.`,
        reached: (observation) => caughtUp(observation, victim) && `${victim} recovered from its disk and caught up to slot ${observation.status.commitIndex}; its dashboard says how (checkpoint, journal, slots learned from peers).`,
        timeoutMs: CRASH_DOWN_MS + 30_000,
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
