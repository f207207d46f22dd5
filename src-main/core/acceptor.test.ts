import { describe, expect, it } from 'vitest';
import { Acceptor } from './acceptor';
import { ZERO_BALLOT } from './ballot';
import { Outbox } from './outbox';

const b = (round: number, node = 'n1') => ({ round, node });

describe('Acceptor', () => {
  it('promises only upwards and records every rise for persistence', () => {
    const outbox = new Outbox('me');
    const acceptor = new Acceptor(outbox, ZERO_BALLOT, []);
    expect(acceptor.prepare(b(2))).toBe(true);
    expect(acceptor.prepare(b(2))).toBe(true); // a retransmitted prepare is answered again
    expect(acceptor.prepare(b(1, 'z'))).toBe(false);
    expect(acceptor.promised).toEqual(b(2));
    expect(outbox.take().persist.promised).toEqual(b(2));
  });

  it('accepts at or above its promise, which accepting raises', () => {
    const outbox = new Outbox('me');
    const acceptor = new Acceptor(outbox, b(3), []);
    expect(acceptor.accept(b(2), 1, [])).toBe(false);
    const value = [{ origin: 'n1', seq: 1, payload: 'x' }];
    expect(acceptor.accept(b(4), 1, value)).toBe(true);
    expect(acceptor.promised).toEqual(b(4));
    expect(acceptor.acceptedAt(1)).toEqual({ slot: 1, ballot: b(4), value });
    const ready = outbox.take();
    expect(ready.persist.promised).toEqual(b(4));
    expect(ready.persist.accepted).toEqual([{ slot: 1, ballot: b(4), value }]);
  });

  it('recovers the highest-ballot entry per slot and reports entries from a slot on, skipping excluded ones', () => {
    const acceptor = new Acceptor(new Outbox('me'), b(5), [
      { slot: 2, ballot: b(1), value: [] },
      { slot: 2, ballot: b(3), value: [{ origin: 'a', seq: 1, payload: 'p' }] },
      { slot: 1, ballot: b(2), value: [] },
      { slot: 4, ballot: b(2), value: [] },
    ]);
    expect(acceptor.acceptedAt(2)?.ballot).toEqual(b(3));
    expect(acceptor.acceptedFrom(2, (slot) => slot === 4).map((e) => e.slot)).toEqual([2]);
  });
});
