import { describe, expect, it } from 'vitest';
import type { LogEntryView } from '../../../shared/api';
import { formatBallot, matchesFilter, slotKind, summarizeEntry, truncate } from './format';

const tweet = { id: 'ann/1', type: 'tweet', author: 'ann', text: 'hello world, this is a rather long tweet that goes on and on', at: 1 } as const;
const block = { id: 'cyd/4', type: 'block', author: 'cyd', target: 'bob', at: 2 } as const;

function entry(overrides: Partial<LogEntryView>): LogEntryView {
  return { slot: 1, status: 'chosen', ballot: { round: 2, node: 'ann' }, commands: [], ...overrides };
}

describe('format', () => {
  it('formats ballots as round.node', () => {
    expect(formatBallot({ round: 12, node: 'bob' })).toBe('12.bob');
    expect(formatBallot({ round: 0, node: '' })).toBe('0');
    expect(formatBallot(null)).toBe('—');
  });

  it('names what a slot holds', () => {
    expect(slotKind(entry({ commands: [tweet] }))).toBe('chosen');
    expect(slotKind(entry({}))).toBe('noop');
    expect(slotKind(entry({ status: 'accepted', commands: [tweet] }))).toBe('accepted');
    expect(slotKind(entry({ status: 'empty', ballot: null }))).toBe('empty');
    expect(matchesFilter(entry({}), 'noop')).toBe(true);
    expect(matchesFilter(entry({}), 'chosen')).toBe(false);
    expect(matchesFilter(entry({}), 'all')).toBe(true);
  });

  it('summarizes commands in one line', () => {
    expect(summarizeEntry(entry({ commands: [tweet] }))).toBe('tweet by ann: hello world, this is a rather long twee…');
    expect(summarizeEntry(entry({ commands: [block] }))).toBe('block bob by cyd');
    expect(summarizeEntry(entry({ commands: [{ id: 'ann/0', type: 'register', author: 'ann', name: 'Ann', at: null }] }))).toBe('register ann as Ann');
    expect(summarizeEntry(entry({ commands: [{ id: 'alice/9', type: 'addMember', author: 'alice', target: 'cyd', address: '127.0.0.1:7403', at: 3 }] }))).toBe(
      'addMember cyd @ 127.0.0.1:7403',
    );
    expect(summarizeEntry(entry({ commands: [{ id: 'alice/10', type: 'removeMember', author: 'alice', target: 'bob', at: 4 }] }))).toBe('removeMember bob');
    expect(summarizeEntry(entry({ commands: [tweet, block, block] }))).toBe('3 commands');
    expect(summarizeEntry(entry({ status: 'accepted' }))).toBe('no-op');
    expect(summarizeEntry(entry({}))).toBe('');
    expect(truncate('héllo 👋 there', 8)).toBe('héllo 👋…');
  });
});
