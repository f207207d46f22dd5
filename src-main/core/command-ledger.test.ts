import { describe, expect, it } from 'vitest';
import { CommandLedger } from './command-ledger';

describe('CommandLedger', () => {
  it('remembers chosen ids compactly, in any order', () => {
    const ledger = new CommandLedger();
    ledger.add('a', 2);
    ledger.add('a', 3);
    expect(ledger.has('a', 1)).toBe(false);
    expect(ledger.has('a', 2)).toBe(true);
    ledger.add('a', 1);
    expect(ledger.has('a', 1)).toBe(true);
    expect(ledger.has('a', 4)).toBe(false);
    expect(ledger.has('b', 1)).toBe(false);
    expect(ledger.highestSeq('a')).toBe(3);
    ledger.add('a', 9);
    expect(ledger.highestSeq('a')).toBe(9);
    expect(ledger.highestSeq('nobody')).toBe(0);
  });
});
