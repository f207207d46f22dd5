import { describe, expect, it } from 'vitest';
import { checkHistory, describeViolations, InvalidHistoryError, type ChosenCommand, type ClientOperation } from './history-checker';

const ok = (value: string, invokedAtMs: number, completedAtMs: number, id: string, slot: number): ClientOperation => ({ value, invokedAtMs, completedAtMs, outcome: { type: 'ok', id, slot } });
const pending = (value: string, invokedAtMs: number, completedAtMs: number, id: string): ClientOperation => ({ value, invokedAtMs, completedAtMs, outcome: { type: 'pending', id } });
const unknown = (value: string, invokedAtMs: number, completedAtMs: number): ClientOperation => ({ value, invokedAtMs, completedAtMs, outcome: { type: 'unknown' } });
const chosen = (value: string, id: string, slot: number): ChosenCommand => ({ value, id, slot });

/** Concurrent and sequential acknowledged writes, a pending one chosen later, an unanswered one lost. */
const validHistory: ClientOperation[] = [
  ok('a', 0, 10, 'n1/1', 1),
  ok('b', 2, 12, 'n2/1', 1), // concurrent with a: same batch
  ok('c', 11, 20, 'n1/2', 2), // after a was acknowledged
  pending('d', 15, 5015, 'n3/1'),
  unknown('e', 21, 15021),
  unknown('f', 22, 15022),
];
const validLog: ChosenCommand[] = [chosen('a', 'n1/1', 1), chosen('b', 'n2/1', 1), chosen('c', 'n1/2', 2), chosen('f', 'n2/2', 3), chosen('d', 'n3/1', 7), chosen('registered', 'n1/0', 0)];

describe('checkHistory', () => {
  it('accepts a valid history and counts its outcomes', () => {
    const report = checkHistory(validHistory, validLog);
    expect(describeViolations(report.violations)).toBe('');
    expect(report).toMatchObject({ acknowledged: 3, pending: 1, unknown: 2, unacknowledgedChosen: 2 });
  });

  it('catches an acknowledged tweet missing from the log', () => {
    const report = checkHistory(validHistory, validLog.filter((command) => command.value !== 'c'));
    expect(report.violations.map((v) => [v.kind, v.value])).toEqual([['lost', 'c']]);
  });

  it('catches an acknowledged, a pending and an unanswered tweet chosen twice', () => {
    const report = checkHistory(validHistory, [...validLog, chosen('a', 'n1/1', 9), chosen('d', 'n3/1', 10), chosen('f', 'n2/2', 11)]);
    expect(report.violations.filter((v) => v.kind === 'duplicated').map((v) => v.value)).toEqual(['a', 'd', 'f']);
  });

  it('catches a receipt that names another slot or id than the log', () => {
    const history = [ok('c', 0, 1, 'n1/2', 2), pending('d', 0, 1, 'n3/1')];
    const report = checkHistory(history, [chosen('c', 'n1/2', 4), chosen('d', 'n3/9', 7)]);
    expect(report.violations.map((v) => [v.kind, v.value])).toEqual([
      ['wrong-receipt', 'c'],
      ['wrong-receipt', 'd'],
    ]);
  });

  // The planted violation: c was sent after a was acknowledged, yet the log puts c in a's slot's past.
  it('catches a planted real-time violation: a tweet sent after another was acknowledged, chosen before it', () => {
    const planted = [ok('a', 0, 10, 'n1/1', 5), ok('c', 11, 20, 'n1/2', 4)];
    const report = checkHistory(planted, [chosen('c', 'n1/2', 4), chosen('a', 'n1/1', 5)]);
    expect(report.violations).toHaveLength(1);
    expect(report.violations[0]).toMatchObject({ kind: 'real-time', value: 'c' });
    expect(describeViolations(report.violations)).toMatch(/"a" was acknowledged .* before "c" was sent .* slot 4/);
  });

  it('counts the same slot as a real-time violation, and an unanswered later tweet too', () => {
    const report = checkHistory([ok('a', 0, 10, 'n1/1', 5), unknown('z', 30, 40)], [chosen('a', 'n1/1', 5), chosen('z', 'n2/1', 5)]);
    expect(report.violations.map((v) => [v.kind, v.value])).toEqual([['real-time', 'z']]);
  });

  it('does not order overlapping operations, nor after a pending or unanswered one', () => {
    const history = [ok('a', 0, 10, 'n1/1', 5), ok('b', 9, 30, 'n2/1', 4), pending('p', 0, 1, 'n3/1'), ok('q', 2, 3, 'n1/2', 1)];
    const report = checkHistory(history, [chosen('q', 'n1/2', 1), chosen('b', 'n2/1', 4), chosen('a', 'n1/1', 5), chosen('p', 'n3/1', 6)]);
    expect(report.violations).toEqual([]);
  });

  it('finds a violation against any earlier acknowledgement, not only the latest one', () => {
    // 'late' was acknowledged last but in a low slot; 'high' was acknowledged earlier in a high slot.
    const history = [ok('high', 0, 5, 'n1/1', 50), ok('late', 1, 8, 'n2/1', 3), ok('after', 9, 12, 'n3/1', 40)];
    const report = checkHistory(history, [chosen('late', 'n2/1', 3), chosen('after', 'n3/1', 40), chosen('high', 'n1/1', 50)]);
    // 'late' was sent before 'high' was acknowledged (1 < 5): no order between them; 'after' violates.
    expect(report.violations.map((v) => [v.kind, v.value])).toEqual([['real-time', 'after']]);
    expect(report.violations[0]?.message).toContain('"high"');
  });

  // Quadratic pairwise checking would take minutes here; the bound leaves room for a loaded machine.
  it('checks a long history in near-linear time', () => {
    const history: ClientOperation[] = [];
    const log: ChosenCommand[] = [];
    for (let i = 0; i < 50_000; i++) {
      history.push(ok(`t${i}`, i, i + 0.5, `n1/${i}`, i));
      log.push(chosen(`t${i}`, `n1/${i}`, i));
    }
    const started = performance.now();
    expect(checkHistory(history, log).violations).toEqual([]);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('refuses a history that reuses a value or completes before it starts', () => {
    expect(() => checkHistory([unknown('x', 0, 1), unknown('x', 2, 3)], [])).toThrow(InvalidHistoryError);
    expect(() => checkHistory([unknown('x', 5, 1)], [])).toThrow(/completed .* before it was invoked/);
  });

  it('describes at most the first violations', () => {
    const history = Array.from({ length: 12 }, (_, i) => ok(`v${i}`, 0, 1, `n1/${i}`, i));
    const text = describeViolations(checkHistory(history, []).violations, 3);
    expect(text.split('\n')).toHaveLength(4);
    expect(text).toMatch(/and 9 more$/);
  });
});
