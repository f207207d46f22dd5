/**
 * Transcript tests for the protocol core, in the style of etcd-io/raft's datadriven tests: a script of
 * steps, each followed by `----` and the transcript of what the replicas did (every message sent, every
 * role change, every slot applied). The test replays the script and compares; with
 * UPDATE_TRANSCRIPTS=1 it rewrites the transcripts instead, for a person to read and review in the diff.
 *
 * A script file holds blocks separated by blank lines:
 *
 *   # a comment
 *   <command> <args...>
 *   ----
 *   <transcript lines>
 *
 * Commands (replicas are named by their ids; the network is perfect unless `cut`):
 *   cluster ID...            new replicas of one cluster (seeded: the same script gives the same transcript)
 *   campaign ID              tick ID until it starts a campaign (its election timeout), then deliver until quiet
 *   tick ID|all [N]          N ticks (default 1), delivering until quiet after each
 *   propose ID PAYLOAD       ID submits a command, then deliver until quiet
 *   remove ID MEMBER         ID proposes removing MEMBER, then deliver until quiet
 *   cut ID...                isolate these replicas (both directions) / heal: reconnect everyone
 *   heal
 *   status ID...             role, leader, ballot, commit and applied index (prints no messages)
 */
import { formatBallot } from '../../shared/ballot-text';
import { encodeMembershipChange } from '../../src-main/core/membership';
import { seededRandom } from '../../src-main/core/random';
import { Replica } from '../../src-main/core/replica';
import { isEmptyReady, type ChosenEntry, type Message, type NodeId } from '../../src-main/core/types';

export interface Block {
  /** Comment lines before the command, kept when the transcripts are rewritten. */
  readonly comments: readonly string[];
  readonly command: string;
  readonly expected: string;
}

export function parseScript(text: string): Block[] {
  const blocks: Block[] = [];
  for (const chunk of text.split(/\n\s*\n/)) {
    const all = chunk.split('\n').filter((line) => line.trim() !== '');
    const comments = all.filter((line) => line.startsWith('#'));
    const lines = all.filter((line) => !line.startsWith('#'));
    if (lines.length === 0) continue;
    if (lines[1] !== '----') throw new Error(`a block is one command, then ----, then its transcript: ${JSON.stringify(chunk)}`);
    blocks.push({ comments, command: lines[0] as string, expected: lines.slice(2).join('\n') });
  }
  return blocks;
}

export function formatScript(blocks: readonly (Block & { readonly actual: string })[]): string {
  return `${blocks.map(({ comments, command, actual }) => [...comments, command, '----', ...(actual === '' ? [] : [actual])].join('\n')).join('\n\n')}\n`;
}

/** One line for a message: sender, receiver, type and the fields that matter for reading the protocol. */
function describe(message: Message): string {
  const head = `${message.from}->${message.to} ${message.type}`;
  switch (message.type) {
    case 'prevote':
      return `${head} ballot=${formatBallot(message.ballot)} commit=${message.commitIndex}`;
    case 'prevoteReply':
      return `${head} ballot=${formatBallot(message.ballot)} granted=${message.granted}`;
    case 'prepare':
      return `${head} ballot=${formatBallot(message.ballot)} from=${message.fromSlot}`;
    case 'promise':
      return `${head} ballot=${formatBallot(message.ballot)} accepted=[${message.accepted.map((e) => e.slot).join(',')}] chosen=[${message.chosen.map((e) => e.slot).join(',')}]`;
    case 'nack':
      return `${head} ballot=${formatBallot(message.ballot)} promised=${formatBallot(message.promised)}`;
    case 'accept':
      return `${head} ballot=${formatBallot(message.ballot)} slot=${message.slot} value=[${message.value.map((c) => c.payload).join(',')}] commit=${message.commitIndex}`;
    case 'accepted':
      return `${head} ballot=${formatBallot(message.ballot)} slot=${message.slot}`;
    case 'commit':
      return `${head} ballot=${formatBallot(message.ballot)} commit=${message.commitIndex}`;
    case 'commitAck':
      return `${head} commit=${message.commitIndex}`;
    case 'forward':
      return `${head} [${message.commands.map((c) => c.payload).join(',')}]`;
    case 'catchupRequest':
      return `${head} slots=${message.fromSlot}..${message.toSlot}`;
    case 'catchupReply':
      return `${head} slots=[${message.entries.map((e) => e.slot).join(',')}] commit=${message.commitIndex}`;
    case 'takeover':
      return `${head} ballot=${formatBallot(message.ballot)}`;
  }
}

type SlotMessage = Extract<Message, { type: 'accept' | 'accepted' }>;

function isSlotMessage(message: Message): message is SlotMessage {
  return message.type === 'accept' || message.type === 'accepted';
}

/**
 * One Ready's messages, with runs of accepts (or accepted replies) between the same two replicas in
 * consecutive slots gathered: a leader filling 64 slots with no-ops reads as one line, not 128.
 */
function groupBySlotRuns(messages: readonly Message[]): Message[][] {
  const groups: Message[][] = [];
  const runs = new Map<string, SlotMessage[]>();
  for (const message of messages) {
    if (!isSlotMessage(message)) {
      groups.push([message]);
      continue;
    }
    const key = `${message.from}>${message.to}>${message.type}`;
    const run = runs.get(key);
    const last = run?.at(-1);
    if (run !== undefined && last !== undefined && last.slot + 1 === message.slot) run.push(message);
    else {
      const fresh = [message];
      runs.set(key, fresh);
      groups.push(fresh);
    }
  }
  return groups;
}

function describeRun(run: readonly Message[]): string {
  const first = run[0] as SlotMessage;
  const last = run.at(-1) as SlotMessage;
  const head = `${first.from}->${first.to} ${first.type} ballot=${formatBallot(first.ballot)} slots=${first.slot}..${last.slot}`;
  if (first.type !== 'accept') return head;
  const values = run.map((m) => (m as Extract<Message, { type: 'accept' }>).value.map((c) => c.payload).join(','));
  const shown = values.every((v) => v === '') ? 'no-ops' : `values=[${values.map((v) => `[${v}]`).join(',')}]`;
  return `${head} ${shown} commit=${(last as Extract<Message, { type: 'accept' }>).commitIndex}`;
}

/** Replicas with a perfect network and an instant disk, narrated. */
export class TranscriptCluster {
  private readonly replicas = new Map<NodeId, Replica>();
  private readonly isolated = new Set<NodeId>();
  private queue: Message[] = [];
  private lines: string[] = [];

  run(command: string): string {
    this.lines = [];
    const [verb, ...args] = command.split(/\s+/);
    switch (verb) {
      case 'cluster':
        for (const id of args) this.replicas.set(id, new Replica({ id, members: args, rng: seededRandom(id.charCodeAt(id.length - 1)) }));
        this.line(`members ${args.join(' ')}`);
        break;
      case 'campaign':
        this.campaign(this.id(args[0]));
        break;
      case 'tick': {
        const times = Number(args[1] ?? 1);
        const targets = args[0] === 'all' ? [...this.replicas.keys()] : [this.id(args[0])];
        for (let i = 0; i < times; i++) {
          for (const id of targets) this.observe(id, () => this.get(id).tick());
          this.stabilize();
        }
        break;
      }
      case 'propose': {
        const id = this.id(args[0]);
        const result = this.get(id).propose(args.slice(1).join(' '));
        if (!result.ok) this.line(`${id} refused: ${result.message}`);
        this.stabilize();
        break;
      }
      case 'remove': {
        const id = this.id(args[0]);
        this.get(id).propose(encodeMembershipChange({ type: 'removeMember', id: this.id(args[1]) }));
        this.stabilize();
        break;
      }
      case 'cut':
        for (const id of args) this.isolated.add(this.id(id));
        this.line(`cut off: ${[...this.isolated].join(' ')}`);
        break;
      case 'heal':
        this.isolated.clear();
        this.line('everyone connected');
        break;
      case 'status':
        for (const id of args.length > 0 ? args : [...this.replicas.keys()]) this.status(this.id(id));
        break;
      default:
        throw new Error(`unknown command ${JSON.stringify(command)}`);
    }
    return this.lines.join('\n');
  }

  private campaign(id: NodeId): void {
    const replica = this.get(id);
    let ticks = 0;
    while (replica.status().role === 'follower') {
      if (++ticks > 1_000) throw new Error(`${id} never campaigned`);
      replica.tick();
    }
    this.line(`${id} campaigns after ${ticks} ticks`);
    this.stabilize();
  }

  /** Takes every replica's Ready and delivers what it sends, until nothing moves. */
  private stabilize(): void {
    for (let round = 0; round < 1_000; round++) {
      let moved = false;
      for (const [id, replica] of this.replicas) {
        const ready = replica.ready();
        replica.advance(ready);
        if (isEmptyReady(ready)) continue;
        moved = true;
        for (const group of groupBySlotRuns(ready.messages)) {
          const first = group[0] as Message;
          const dropped = this.isolated.has(first.from) || this.isolated.has(first.to);
          this.line(`${group.length === 1 ? describe(first) : describeRun(group)}${dropped ? '  (dropped)' : ''}`);
          if (!dropped) this.queue.push(...group);
        }
        this.narrateApplied(id, ready.committed);
      }
      const batch = this.queue;
      this.queue = [];
      for (const message of batch) this.observe(message.to, () => this.get(message.to).step(message));
      if (!moved && batch.length === 0) return;
    }
    throw new Error('the cluster did not stabilize');
  }

  /** One line per applied slot, a run of no-ops as one line. */
  private narrateApplied(id: NodeId, committed: readonly ChosenEntry[]): void {
    for (let i = 0; i < committed.length; i++) {
      const entry = committed[i] as ChosenEntry;
      let last = i;
      while (entry.value.length === 0 && committed[last + 1]?.value.length === 0) last++;
      if (last > i) this.line(`${id} applies slots ${entry.slot}..${(committed[last] as ChosenEntry).slot} (no-ops)`);
      else this.line(`${id} applies slot ${entry.slot} [${entry.value.map((c) => c.payload).join(',')}]`);
      i = last;
    }
  }

  /** Runs `step` on `id` and narrates a change of its role or leader. */
  private observe(id: NodeId, step: () => void): void {
    const before = this.get(id).status();
    step();
    const after = this.get(id).status();
    if (after.role !== before.role) this.line(`${id} becomes ${after.role} at ballot ${formatBallot(after.ballot)}`);
    else if (after.leader !== before.leader && after.leader !== null && after.leader !== id) this.line(`${id} follows ${after.leader}`);
  }

  private status(id: NodeId): void {
    const s = this.get(id).status();
    this.line(`${id}: ${s.role} leader=${s.leader ?? '-'} ballot=${formatBallot(s.ballot)} commit=${s.commitIndex} applied=${s.appliedIndex} members=${s.members?.map((m) => m.id).join(',') ?? '-'}`);
  }

  private line(text: string): void {
    this.lines.push(text);
  }

  private id(arg: string | undefined): NodeId {
    if (arg === undefined || !this.replicas.has(arg)) throw new Error(`no replica ${JSON.stringify(arg)}`);
    return arg;
  }

  private get(id: NodeId): Replica {
    const replica = this.replicas.get(id);
    if (replica === undefined) throw new Error(`no replica ${id}`);
    return replica;
  }
}
