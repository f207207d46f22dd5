import { describe, expect, it } from 'vitest';
import type { JoinReplyMessage } from '../net/wire';
import { JOIN_RETRY_MS, JoinClient, joinContacts, SILENT_JOINS_BEFORE_ROTATING } from './join';

function client(contacts: readonly string[]) {
  const sent: string[] = [];
  const join = new JoinClient('dan', contacts, (_message, contact) => sent.push(contact), () => undefined);
  return { join, sent };
}

const reply = (status: JoinReplyMessage['status']): JoinReplyMessage => ({ type: 'joinReply', from: 'ann', to: 'dan', status, reason: '', members: [] });

describe('JoinClient', () => {
  it('asks the listed members in turn until one answers, then keeps to that one', () => {
    const { join, sent } = client(['10.0.0.1:7400', '10.0.0.2:7400', '10.0.0.3:7400']);
    expect(join.progress()).toMatchObject({ contact: '10.0.0.1:7400, 10.0.0.2:7400, 10.0.0.3:7400', stage: 'contacting', message: expect.stringMatching(/in turn/) });
    for (let i = 0; i < 4; i++) join.tick(i * JOIN_RETRY_MS, null, false);
    expect(sent).toEqual(['10.0.0.1:7400', '10.0.0.2:7400', '10.0.0.3:7400', '10.0.0.1:7400']);
    // Not before the retry interval.
    join.tick(3 * JOIN_RETRY_MS + 1, null, false);
    expect(sent).toHaveLength(4);

    join.onReply(reply('busy'));
    join.tick(4 * JOIN_RETRY_MS, null, false);
    join.tick(5 * JOIN_RETRY_MS, null, false);
    expect(sent.slice(4)).toEqual(['10.0.0.1:7400', '10.0.0.1:7400']);
    join.onReply(reply('adding'));
    expect(join.progress()).toMatchObject({ contact: '10.0.0.1:7400', stage: 'adding' });
  });

  it('asks the others again when the member that answered falls silent', () => {
    const { join, sent } = client(['10.0.0.1:7400', '10.0.0.2:7400']);
    join.tick(0, null, false);
    join.onReply(reply('busy'));
    for (let i = 1; i <= SILENT_JOINS_BEFORE_ROTATING + 2; i++) join.tick(i * JOIN_RETRY_MS, null, false);
    expect(sent.slice(0, SILENT_JOINS_BEFORE_ROTATING + 1).every((contact) => contact === '10.0.0.1:7400')).toBe(true);
    expect(sent.slice(SILENT_JOINS_BEFORE_ROTATING + 1)).toEqual(['10.0.0.2:7400', '10.0.0.1:7400']);
  });

  it('with one contact says so in the singular', () => {
    const { join, sent } = client(['10.0.0.1:7400']);
    join.tick(0, null, false);
    expect(sent).toEqual(['10.0.0.1:7400']);
    expect(join.progress()).toEqual({ contact: '10.0.0.1:7400', stage: 'contacting', message: 'Asking the member at 10.0.0.1:7400 to add this node…' });
  });

  it('needs a contact', () => {
    expect(() => client([])).toThrow(/at least one member/);
    expect(joinContacts({ host: 'a', port: 1 })).toEqual([{ host: 'a', port: 1 }]);
    expect(joinContacts([{ host: 'a', port: 1 }, { host: 'b', port: 2 }])).toHaveLength(2);
  });
});
