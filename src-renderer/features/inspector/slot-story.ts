/**
 * The story of one slot, from the dashboard's recording (features/recording): every recorded message
 * that concerned slot s, in order, and what they add up to: who proposed a value at which ballot, who
 * accepted it, when a majority had, who learned it was chosen and when, and whether a new leader
 * proposed it again (a second ballot for the same slot).
 *
 * Which messages concern slot s (see trace-buffer.ts for what each trace entry's `slot` means):
 *  - accept and accepted carry the slot itself: phase 2 for s;
 *  - prepare and promise carry `fromSlot`, and cover every slot from there on: they belong to the story
 *    when they are at a ballot that proposed s (the election that made the proposer leader) or happen
 *    while s was being decided (a new leader taking over). Without any phase 2 message for s, a
 *    campaign says nothing about s in particular and is left out;
 *  - commit carries the leader's commit index (every slot <= it is chosen). The leader's heartbeats
 *    repeat it forever, so a commit covering s counts only as the one that told its receiver, and only
 *    when the recording shows the receiver did not know before: an earlier commit on the same link
 *    below s, or an accept for s sent to it earlier;
 *  - catchupReply carries the range of chosen slots it holds (slot..toSlot): a member that was behind
 *    learned s from it; its catchupRequest covering s before that belongs to the story too.
 * Majorities: a proposer's own acceptor accepts its proposal inside the core, with no message, so the
 * votes of a ballot are the proposer's plus the accepted messages seen for it. A trace from one member
 * sees only its own part (a follower never sees the other followers' votes); then the leader's commit
 * is what shows the slot chosen.
 */
import { formatBallot } from '../../../shared/ballot-text';
import type { BallotView } from '../../../shared/api';
import { oneSidePerMessage } from '../recording/pairing';
import type { RecordedMessage } from '../recording/trace-recorder.svelte';

export type StepRole = 'campaign' | 'promise' | 'propose' | 'accept' | 'ask' | 'learn';

export interface StoryStep {
  readonly message: RecordedMessage;
  readonly role: StepRole;
  /** The first accept at a ballot after an earlier ballot's: a new leader proposing the slot again. */
  readonly reproposal: boolean;
}

export interface Proposal {
  readonly ballot: BallotView;
  readonly proposer: string;
  /** When its first accept for the slot was sent. */
  readonly at: number;
  /** Members whose accepted message for this ballot was recorded, each once, in order (the proposer not among them). */
  readonly acceptors: readonly { readonly member: string; readonly at: number }[];
  /** When the votes seen, the proposer's own included, first made a majority; null if they never did. */
  readonly majorityAt: number | null;
}

export type StoryEvent =
  /** `before`: who proposed the slot at the previous ballot, null for the first proposal. */
  | { readonly kind: 'proposed'; readonly at: number; readonly proposer: string; readonly ballot: BallotView; readonly before: string | null }
  | { readonly kind: 'accepted'; readonly at: number; readonly member: string; readonly ballot: BallotView }
  | { readonly kind: 'majority'; readonly at: number; readonly ballot: BallotView; readonly votes: readonly string[]; readonly needed: number }
  | { readonly kind: 'learned'; readonly at: number; readonly member: string; readonly from: string; readonly how: 'commit' | 'catch-up' };

export interface SlotStory {
  readonly slot: number;
  /** The messages, in time order. */
  readonly steps: readonly StoryStep[];
  /** Members first (in their order), then anyone else who appears. */
  readonly lifelines: readonly string[];
  readonly proposals: readonly Proposal[];
  /** Votes a ballot needs: a majority of the members. */
  readonly needed: number;
  /**
   * When the slot was known chosen and how the recording shows it (a majority of votes, else the first
   * commit or catch-up that told a member), or null if it does not. A catch-up carries no ballot.
   * `after`: the serial of the step that showed it (the vote that made the majority, or the message).
   */
  readonly chosen:
    | { readonly at: number; readonly how: 'majority' | 'commit'; readonly ballot: BallotView; readonly after: number }
    | { readonly at: number; readonly how: 'catch-up'; readonly ballot: null; readonly after: number }
    | null;
  readonly reproposed: boolean;
  /** What happened, in time order, for the list beside the diagram. */
  readonly events: readonly StoryEvent[];
}

export function slotStory(recorded: readonly RecordedMessage[], slot: number, members: readonly string[]): SlotStory {
  const messages = oneSidePerMessage(recorded);
  const phase2 = messages.filter((m) => (m.type === 'accept' || m.type === 'accepted') && m.slot === slot);
  const proposalBallots = new Set(phase2.filter((m) => m.type === 'accept' && m.ballot !== undefined).map((m) => ballotKey(m.ballot as BallotView)));
  const learns = learningMessages(messages, slot);
  const asks = catchupRequests(messages, slot, learns);

  const window = phase2.length === 0 ? null : { from: (phase2[0] as RecordedMessage).at, to: Math.max(...[...phase2, ...learns].map((m) => m.at)) };
  const campaign =
    window === null
      ? []
      : messages.filter(
          (m) =>
            (m.type === 'prepare' || m.type === 'promise') &&
            m.slot !== undefined &&
            m.slot <= slot &&
            m.ballot !== undefined &&
            (proposalBallots.has(ballotKey(m.ballot)) || (m.at >= window.from && m.at <= window.to)),
        );

  const chosenSteps = new Set([...phase2, ...learns, ...asks, ...campaign].map((m) => m.serial));
  const seenBallots = new Set<string>();
  const steps = messages
    .filter((m) => chosenSteps.has(m.serial))
    .map((message): StoryStep => {
      const role = roleOf(message);
      let reproposal = false;
      if (role === 'propose' && message.ballot !== undefined) {
        const key = ballotKey(message.ballot);
        reproposal = seenBallots.size > 0 && !seenBallots.has(key);
        seenBallots.add(key);
      }
      return { message, role, reproposal };
    });

  const lifelines = [...new Set([...members, ...steps.flatMap(({ message }) => [message.from, message.to])])];
  const needed = Math.floor((members.length > 0 ? members.length : lifelines.length) / 2) + 1;
  const proposals = proposalsOf(phase2, needed);

  const byMajority = proposals
    .filter((p) => p.majorityAt !== null)
    .sort((a, b) => (a.majorityAt as number) - (b.majorityAt as number))[0];
  const firstLearn = learns[0];
  let chosen: SlotStory['chosen'] = null;
  if (byMajority !== undefined) chosen = { at: byMajority.majorityAt as number, ballot: byMajority.ballot, how: 'majority', after: completingStep(phase2, byMajority, needed) };
  else if (firstLearn?.type === 'commit' && firstLearn.ballot !== undefined) chosen = { at: firstLearn.at, ballot: firstLearn.ballot, how: 'commit', after: firstLearn.serial };
  else if (firstLearn !== undefined) chosen = { at: firstLearn.at, ballot: null, how: 'catch-up', after: firstLearn.serial };

  return { slot, steps, lifelines, proposals, needed, chosen, reproposed: proposals.length > 1, events: eventsOf(proposals, learns, needed) };
}

function roleOf(message: RecordedMessage): StepRole {
  switch (message.type) {
    case 'prepare':
      return 'campaign';
    case 'promise':
      return 'promise';
    case 'accept':
      return 'propose';
    case 'accepted':
      return 'accept';
    case 'catchupRequest':
      return 'ask';
    default:
      return 'learn';
  }
}

/** For each receiver, the commit or catch-up reply that told it slot s was chosen (see the file header). */
function learningMessages(messages: readonly RecordedMessage[], slot: number): RecordedMessage[] {
  const belowOnLink = new Set<string>();
  const proposedTo = new Set<string>();
  const learned = new Set<string>();
  const result: RecordedMessage[] = [];
  for (const m of messages) {
    if (m.type === 'accept' && m.slot === slot) proposedTo.add(m.to);
    if (m.type === 'catchupReply' && covers(m, slot) && !learned.has(m.to)) {
      learned.add(m.to);
      result.push(m);
    }
    if (m.type !== 'commit' || m.slot === undefined || learned.has(m.to)) continue;
    const link = `${m.from}>${m.to}`;
    if (m.slot < slot) belowOnLink.add(link);
    else if (belowOnLink.has(link) || proposedTo.has(m.to)) {
      learned.add(m.to);
      result.push(m);
    }
  }
  return result;
}

/** The catch-up requests for s by members that then learned s by catch-up, before they did. */
function catchupRequests(messages: readonly RecordedMessage[], slot: number, learns: readonly RecordedMessage[]): RecordedMessage[] {
  const learnedAt = new Map(learns.filter((m) => m.type === 'catchupReply').map((m) => [m.to, m.at]));
  return messages.filter((m) => m.type === 'catchupRequest' && covers(m, slot) && m.at <= (learnedAt.get(m.from) ?? -Infinity));
}

/** Whether a message about a range of slots (slot..toSlot, or just slot) includes `slot`. */
function covers(message: RecordedMessage, slot: number): boolean {
  return message.slot !== undefined && message.slot <= slot && slot <= (message.toSlot ?? message.slot);
}

function proposalsOf(phase2: readonly RecordedMessage[], needed: number): Proposal[] {
  const proposals = new Map<string, { ballot: BallotView; proposer: string; at: number; acceptors: { member: string; at: number }[] }>();
  for (const m of phase2) {
    if (m.type !== 'accept' || m.ballot === undefined) continue;
    const key = ballotKey(m.ballot);
    if (!proposals.has(key)) proposals.set(key, { ballot: m.ballot, proposer: m.from, at: m.at, acceptors: [] });
  }
  for (const m of phase2) {
    if (m.type !== 'accepted' || m.ballot === undefined) continue;
    let proposal = proposals.get(ballotKey(m.ballot));
    if (proposal === undefined) {
      // Votes for a proposal whose accepts were not recorded (the recording began in between).
      proposal = { ballot: m.ballot, proposer: m.to, at: m.at, acceptors: [] };
      proposals.set(ballotKey(m.ballot), proposal);
    }
    if (m.from !== proposal.proposer && !proposal.acceptors.some((a) => a.member === m.from)) proposal.acceptors.push({ member: m.from, at: m.at });
  }
  return [...proposals.values()]
    .sort((a, b) => a.at - b.at)
    .map((p) => {
      // The proposer's own vote is the first; the (needed - 1)-th acceptor completes the majority.
      const completing = needed <= 1 ? p.at : p.acceptors[needed - 2]?.at;
      return { ...p, majorityAt: completing ?? null };
    });
}

/** The serial of the message that completed a proposal's majority: its last needed vote, or its first accept. */
function completingStep(phase2: readonly RecordedMessage[], proposal: Proposal, needed: number): number {
  const key = ballotKey(proposal.ballot);
  const voter = needed <= 1 ? undefined : proposal.acceptors[needed - 2];
  const step = phase2.find((m) =>
    m.ballot !== undefined && ballotKey(m.ballot) === key && (voter === undefined ? m.type === 'accept' : m.type === 'accepted' && m.from === voter.member && m.at === voter.at),
  );
  return (step as RecordedMessage).serial;
}

function eventsOf(proposals: readonly Proposal[], learns: readonly RecordedMessage[], needed: number): StoryEvent[] {
  const events: StoryEvent[] = [];
  proposals.forEach((p, i) => {
    events.push({ kind: 'proposed', at: p.at, proposer: p.proposer, ballot: p.ballot, before: proposals[i - 1]?.proposer ?? null });
    for (const a of p.acceptors) events.push({ kind: 'accepted', at: a.at, member: a.member, ballot: p.ballot });
    if (p.majorityAt !== null) {
      const votes = [p.proposer, ...p.acceptors.slice(0, needed - 1).map((a) => a.member)];
      events.push({ kind: 'majority', at: p.majorityAt, ballot: p.ballot, votes, needed });
    }
  });
  for (const m of learns) events.push({ kind: 'learned', at: m.at, member: m.to, from: m.from, how: m.type === 'commit' ? 'commit' : 'catch-up' });
  // Stable: at equal times the order above (proposal, votes, majority, learning) is the causal one.
  return events.sort((a, b) => a.at - b.at);
}

function ballotKey(ballot: BallotView): string {
  return formatBallot(ballot);
}
