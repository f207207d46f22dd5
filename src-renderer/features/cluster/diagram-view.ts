/**
 * What the Cluster diagram says about each member, in marks and words: live, from the node's status
 * (app/membership.ts), or at a replayed moment, from the recording (replay-state.ts). Replayed, it says
 * only what the recording tells ("?" where it tells nothing) and never a live value: the circles are
 * today's members (the recording does not tell who was a member then), everything on them is the
 * moment's.
 */
import { formatBallot } from '../../../shared/ballot-text';
import type { Member, Standing } from '../../app/membership';
import { clockTime, formatSpan } from '../recording/time';
import { memberAt, roleAt, type ReplayedRole, type ReplayState } from './replay-state';

/** Each kind at most once per member (the diagram keys the lines by kind). */
export type LabelKind = 'commit' | 'down-label' | 'change-label' | 'leader-label' | 'role-label';

export interface NodeLabel {
  readonly kind: LabelKind;
  readonly text: string;
}

export interface DiagramNode {
  readonly id: string;
  readonly self: boolean;
  /** Drawn with the leader's ring. */
  readonly leader: boolean;
  /** Drawn with a dashed ring: campaigning for leadership. */
  readonly candidate: boolean;
  /** Why it is drawn faded: unreachable now, or silent at the replayed moment; null when neither. */
  readonly quiet: 'unreachable' | 'silent' | null;
  /** Live only: at a replayed moment every circle is drawn as a member. */
  readonly standing: Standing;
  /** The lines beside its circle, nearest first; the role last, outermost. */
  readonly labels: readonly NodeLabel[];
}

export interface DiagramView {
  readonly nodes: readonly DiagramNode[];
  /** The whole picture in words, for screen readers. */
  readonly description: string;
  /** The recorded time shown, or null when the diagram is live. */
  readonly replayAt: number | null;
}

export function liveView(members: readonly Member[]): DiagramView {
  const nodes = members.map((member): DiagramNode => {
    const labels: NodeLabel[] = [{ kind: 'commit', text: `commit ${member.commitIndex ?? '?'}` }];
    if (!member.reachable) labels.push({ kind: 'down-label', text: 'unreachable' });
    const change = changeOf(member);
    if (change !== null) labels.push({ kind: 'change-label', text: change.label });
    if (member.leader) labels.push({ kind: 'leader-label', text: 'leader' });
    return { id: member.id, self: member.self, leader: member.leader, candidate: false, quiet: member.reachable ? null : 'unreachable', standing: member.standing, labels };
  });
  const parts = members.map((m) =>
    words([nameOf(m), m.leader ? 'leader' : null, m.reachable ? null : 'unreachable', changeOf(m)?.words ?? null, `commit index ${m.commitIndex ?? 'unknown'}`]),
  );
  return {
    nodes,
    description: `${count(members.length)}. ${parts.join('; ')}. Protocol messages to and from this node fly between the members as colored dots.`,
    replayAt: null,
  };
}

export function replayView(members: readonly Member[], state: ReplayState): DiagramView {
  const nodes = members.map((member): DiagramNode => {
    const { commitAtLeast, heldSlot, silent } = memberAt(state, member.id);
    const part = roleAt(state, member.id);
    const labels: NodeLabel[] = [{ kind: 'commit', text: commitLine(commitAtLeast, heldSlot) }];
    if (silent) labels.push({ kind: 'down-label', text: 'silent' });
    if (part !== null && part.role !== 'follower') labels.push({ kind: part.role === 'leader' ? 'leader-label' : 'role-label', text: PART_LABELS[part.role](formatBallot(part.ballot)) });
    return { id: member.id, self: member.self, leader: part?.role === 'leader', candidate: part?.role === 'candidate', quiet: silent ? 'silent' : null, standing: 'member', labels };
  });
  const parts = members.map((m) => {
    const { commitAtLeast, heldSlot, silent, lastSentAt } = memberAt(state, m.id);
    const part = roleAt(state, m.id);
    const quietFor = lastSentAt === null ? 'the whole recording so far' : `the last ${formatSpan(state.at - lastSentAt)}`;
    return words([
      nameOf(m),
      part === null ? null : PART_WORDS[part.role](formatBallot(part.ballot)),
      silent ? `silent (no message from it recorded in ${quietFor})` : null,
      `commit index ${commitAtLeast === null ? 'unknown' : `at least ${commitAtLeast}`}`,
      heldSlot === null ? null : `holds a value for slot ${heldSlot}`,
    ]);
  });
  return {
    nodes,
    description:
      `Replay at ${clockTime(state.at)}: ${headline(state)}. ${count(members.length)} (today's). ${parts.join('; ')}. ` +
      'The recorded messages fly between the members as colored dots.',
    replayAt: state.at,
  };
}

/** Who leads at the moment, as a sentence without its period: "bob leads at ballot 2.bob". */
export function headline(state: ReplayState): string {
  if (state.leader !== null) return `${state.leader.id} leads at ballot ${formatBallot(state.leader.ballot)}`;
  const campaign = state.campaign;
  if (campaign === null) return 'no leader in the recording up to here';
  const promised = campaign.promisedBy.length === 0 ? 'no promise yet' : `promised by ${campaign.promisedBy.join(', ')}`;
  const former = state.formerLeader === null ? '' : `; ${state.formerLeader.id} led at ballot ${formatBallot(state.formerLeader.ballot)}`;
  return `nobody leads while ${campaign.id} campaigns at ballot ${formatBallot(campaign.ballot)} (${promised})${former}`;
}

/** A follower has no line: as in the live picture, the leader's ring says whom it follows. */
const PART_LABELS: Readonly<Record<Exclude<ReplayedRole, 'follower'>, (ballot: string) => string>> = {
  leader: (ballot) => `leader ${ballot}`,
  candidate: (ballot) => `candidate ${ballot}`,
  'former leader': (ballot) => `led at ${ballot}`,
  promised: (ballot) => `promised ${ballot}`,
};

const PART_WORDS: Readonly<Record<ReplayedRole, (ballot: string) => string>> = {
  leader: (ballot) => `leader at ballot ${ballot}`,
  candidate: (ballot) => `candidate at ballot ${ballot}`,
  'former leader': (ballot) => `led before the campaign, at ballot ${ballot}`,
  promised: (ballot) => `promised ballot ${ballot}`,
  follower: (ballot) => `following ballot ${ballot}`,
};

/** "commit ≥ 5", "commit ≥ 5 · holds 7", "commit ?": a lower bound, the only kind the recording gives. */
function commitLine(commitAtLeast: number | null, heldSlot: number | null): string {
  const commit = `commit ${commitAtLeast === null ? '?' : `≥ ${commitAtLeast}`}`;
  return heldSlot !== null && (commitAtLeast === null || heldSlot > commitAtLeast) ? `${commit} · holds ${heldSlot}` : commit;
}

/** A joining or leaving member's line ("joins at 130") and words ("joins at slot 130"), or null for a member. */
function changeOf(member: Member): { readonly label: string; readonly words: string } | null {
  const slot = member.effectiveSlot ?? '?';
  switch (member.standing) {
    case 'joining':
      return { label: `joins at ${slot}`, words: `joins at slot ${slot}` };
    case 'leaving':
      return { label: `leaves at ${slot}`, words: `leaves at slot ${slot}` };
    case 'outside':
      return { label: 'not a member', words: 'not a member' };
    case 'member':
      return null;
  }
}

function nameOf(member: Member): string {
  return `${member.id}${member.self ? ' (this node)' : ''}`;
}

function count(n: number): string {
  return `${n} ${n === 1 ? 'member' : 'members'}`;
}

function words(parts: readonly (string | null)[]): string {
  return parts.filter((part) => part !== null).join(', ');
}
