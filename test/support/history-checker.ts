/**
 * A Jepsen-style checker for a client history of tweets against the chosen log. The history is what
 * the clients saw: for every request, when it was sent, when its answer came and what the answer was.
 * The log is what the replicas chose in the end. The checker knows nothing about how the cluster ran;
 * it only asks whether what the clients were told is possible:
 *  - every acknowledged tweet is in the log exactly once, with the id and at the slot it was
 *    acknowledged with;
 *  - a tweet answered `pending`, or not answered at all (timeout, lost connection, node down), is in
 *    the log at most once (it may have been chosen, or lost with a crashed node);
 *  - real-time order: if tweet A was acknowledged before tweet B was sent, A's slot is lower than B's
 *    (B did not exist when A was chosen, so it cannot share A's slot or precede it).
 *
 * Operations are matched to log commands by value (the tweet's text), which must be unique per
 * history: that is how a request that got no answer (and so no id) is still found in the log. Log
 * commands whose value no operation sent are ignored (other clients, registrations, blocks).
 * Times must come from one monotonic clock (performance.now() of the process that ran the clients).
 */

export type OperationOutcome =
  /** Acknowledged: chosen at `slot` under `id`. */
  | { readonly type: 'ok'; readonly id: string; readonly slot: number }
  /** No quorum in time; the node queued it under `id` and may still choose it. */
  | { readonly type: 'pending'; readonly id: string }
  /** No answer: it may or may not have reached a node. */
  | { readonly type: 'unknown' };

export interface ClientOperation {
  /** Unique within the history: how the command is recognized in the log. */
  readonly value: string;
  readonly invokedAtMs: number;
  readonly completedAtMs: number;
  readonly outcome: OperationOutcome;
}

/** A command of the chosen log. */
export interface ChosenCommand {
  readonly id: string;
  readonly value: string;
  readonly slot: number;
}

export type ViolationKind = 'lost' | 'duplicated' | 'wrong-receipt' | 'real-time';

export interface HistoryViolation {
  readonly kind: ViolationKind;
  /** The operation (value) at fault. */
  readonly value: string;
  readonly message: string;
}

export interface HistoryReport {
  readonly violations: readonly HistoryViolation[];
  readonly acknowledged: number;
  readonly pending: number;
  readonly unknown: number;
  /** Pending or unanswered operations found in the log. */
  readonly unacknowledgedChosen: number;
}

export class InvalidHistoryError extends Error {}

/** Checks `history` against `chosen`; throws InvalidHistoryError when the history itself is unusable. */
export function checkHistory(history: readonly ClientOperation[], chosen: readonly ChosenCommand[]): HistoryReport {
  const operations = new Map<string, ClientOperation>();
  for (const operation of history) {
    if (operations.has(operation.value)) throw new InvalidHistoryError(`two operations sent the value "${operation.value}": values must be unique`);
    if (!(operation.completedAtMs >= operation.invokedAtMs)) throw new InvalidHistoryError(`"${operation.value}" completed (${operation.completedAtMs}) before it was invoked (${operation.invokedAtMs})`);
    operations.set(operation.value, operation);
  }
  const placements = new Map<string, ChosenCommand[]>();
  for (const command of chosen) {
    if (!operations.has(command.value)) continue;
    const list = placements.get(command.value);
    if (list === undefined) placements.set(command.value, [command]);
    else list.push(command);
  }

  const violations: HistoryViolation[] = [];
  const slotOf = new Map<string, number>();
  let unacknowledgedChosen = 0;
  for (const operation of history) {
    const found = placements.get(operation.value) ?? [];
    const outcome = operation.outcome;
    if (found.length > 1) {
      violations.push({ kind: 'duplicated', value: operation.value, message: `"${operation.value}" (${outcome.type}) is chosen ${found.length} times: ${found.map(describe).join(', ')}` });
    }
    const placement = found[0];
    if (placement === undefined) {
      if (outcome.type === 'ok') violations.push({ kind: 'lost', value: operation.value, message: `acknowledged "${operation.value}" (${outcome.id} at slot ${outcome.slot}) is not in the log` });
      continue;
    }
    slotOf.set(operation.value, placement.slot);
    if (outcome.type !== 'ok') unacknowledgedChosen++;
    if (outcome.type !== 'unknown' && placement.id !== outcome.id) {
      violations.push({ kind: 'wrong-receipt', value: operation.value, message: `"${operation.value}" was answered as ${outcome.id} but is chosen as ${describe(placement)}` });
    } else if (outcome.type === 'ok' && placement.slot !== outcome.slot) {
      violations.push({ kind: 'wrong-receipt', value: operation.value, message: `"${operation.value}" was acknowledged at slot ${outcome.slot} but is chosen at slot ${placement.slot}` });
    }
  }
  violations.push(...realTimeViolations(history, slotOf));

  const count = (type: OperationOutcome['type']): number => history.filter((operation) => operation.outcome.type === type).length;
  return { violations, acknowledged: count('ok'), pending: count('pending'), unknown: count('unknown'), unacknowledgedChosen };
}

function describe(command: ChosenCommand): string {
  return `${command.id} at slot ${command.slot}`;
}

/**
 * For every chosen operation B, the acknowledged operations completed before B was invoked must all
 * sit in lower slots. Sorted by completion, a prefix maximum of their slots answers that for each B
 * with one binary search: O(n log n) for any history length.
 */
function realTimeViolations(history: readonly ClientOperation[], slotOf: ReadonlyMap<string, number>): HistoryViolation[] {
  const acknowledged = history.filter((operation) => operation.outcome.type === 'ok' && slotOf.has(operation.value)).sort((a, b) => a.completedAtMs - b.completedAtMs);
  // highest[i]: the acknowledged operation with the highest slot among acknowledged[0..i].
  const highest: ClientOperation[] = [];
  for (const [i, operation] of acknowledged.entries()) {
    const previous = highest[i - 1];
    highest.push(previous !== undefined && (slotOf.get(previous.value) as number) >= (slotOf.get(operation.value) as number) ? previous : operation);
  }
  const violations: HistoryViolation[] = [];
  for (const later of history) {
    const laterSlot = slotOf.get(later.value);
    if (laterSlot === undefined) continue;
    // The number of acknowledged operations completed strictly before `later` was invoked.
    let low = 0;
    let high = acknowledged.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((acknowledged[middle] as ClientOperation).completedAtMs < later.invokedAtMs) low = middle + 1;
      else high = middle;
    }
    const earlier = highest[low - 1];
    if (earlier === undefined) continue;
    const earlierSlot = slotOf.get(earlier.value) as number;
    if (earlierSlot >= laterSlot) {
      violations.push({
        kind: 'real-time',
        value: later.value,
        message: `"${earlier.value}" was acknowledged (at ${earlier.completedAtMs.toFixed(1)} ms, slot ${earlierSlot}) before "${later.value}" was sent (at ${later.invokedAtMs.toFixed(1)} ms), yet "${later.value}" is chosen at slot ${laterSlot}`,
      });
    }
  }
  return violations;
}

/** The first `max` violations, one per line, for an assertion message. */
export function describeViolations(violations: readonly HistoryViolation[], max = 10): string {
  const shown = violations.slice(0, max).map((violation) => `${violation.kind}: ${violation.message}`);
  if (violations.length > max) shown.push(`... and ${violations.length - max} more`);
  return shown.join('\n');
}
