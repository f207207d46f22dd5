import { decode, encode, type Answer } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { announcementRecords, asksFor, clusterTag, instanceName, readResponse, SERVICE_TYPE, type Announcement } from './discovery-records';

const SECRET = 'the cluster secret, never announced';
const ANN: Announcement = { id: 'ann-3f2a1b', name: 'Ann', tag: clusterTag('c0ffee00c0ffee00'), members: 2, port: 7400 };

/** Records as another machine receives them: encoded into a packet and decoded again. */
function overTheWire(records: Answer[]): Answer[] {
  const packet = decode(encode({ type: 'response', answers: records }));
  return packet.answers ?? [];
}

function txt(...entries: string[]): Answer[] {
  const instance = `${ANN.id}-${ANN.tag}.${SERVICE_TYPE}`;
  return [
    { name: SERVICE_TYPE, type: 'PTR', ttl: 120, data: instance },
    { name: instance, type: 'SRV', ttl: 120, data: { port: 7400, target: 'x.local' } },
    { name: instance, type: 'TXT', ttl: 120, data: entries.map((entry) => Buffer.from(entry)) },
  ];
}

const VALID_TXT = ['v=1', `id=${ANN.id}`, 'name=Ann', `cluster=${ANN.tag}`, 'members=2'];

describe('discovery records', () => {
  it('announce a node and read back as the same announcement, from the address the packet came from', () => {
    const records = overTheWire(announcementRecords(ANN, ['192.168.1.10', 'fe80::1']));
    expect(records.map((record) => record.type)).toEqual(['PTR', 'SRV', 'TXT', 'A']);
    expect(readResponse(records, '192.168.1.10')).toEqual({
      heard: [{ instance: instanceName(ANN).toLowerCase(), announcement: ANN, address: '192.168.1.10:7400' }],
      goodbyes: [],
    });
  });

  it('never carry the secret: the tag hashes the cluster id, which datagrams carry in clear anyway', () => {
    const bytes = encode({ type: 'response', answers: announcementRecords(ANN, ['192.168.1.10']) });
    expect(bytes.includes(Buffer.from(SECRET))).toBe(false);
    expect(ANN.tag).toMatch(/^[0-9a-f]{16}$/);
    expect(clusterTag('c0ffee00c0ffee00')).toBe(ANN.tag);
    expect(clusterTag('c0ffee00c0ffee01')).not.toBe(ANN.tag);
  });

  it('read a goodbye (TTL 0) as one', () => {
    expect(readResponse(overTheWire(announcementRecords(ANN, [], 0)), '192.168.1.10')).toEqual({ heard: [], goodbyes: [instanceName(ANN).toLowerCase()] });
  });

  it('skip whatever is not exactly an announcement: fields checked, sizes bounded', () => {
    const heard = (records: Answer[], source = '192.168.1.10') => readResponse(overTheWire(records), source).heard;
    expect(heard(txt(...VALID_TXT))).toHaveLength(1);
    expect(heard(txt(...VALID_TXT), 'fe80::1')).toEqual([]);
    expect(heard(txt(...VALID_TXT.map((e) => e.replace('v=1', 'v=2'))))).toEqual([]);
    expect(heard(txt(...VALID_TXT.map((e) => e.replace('members=2', 'members=65'))))).toEqual([]);
    expect(heard(txt(...VALID_TXT.map((e) => e.replace('members=2', 'members=0'))))).toEqual([]);
    expect(heard(txt(...VALID_TXT.map((e) => e.replace('cluster=', 'cluster=zz'))))).toEqual([]);
    expect(heard(txt(...VALID_TXT.map((e) => e.replace(`id=${ANN.id}`, 'id=other'))))).toEqual([]); // the instance name must match
    expect(heard(txt(...VALID_TXT.map((e) => e.replace('name=Ann', 'name=\u0000\u202e'))))).toEqual([]);
    expect(heard(txt(...VALID_TXT, ...Array(20).fill('x=1')))).toEqual([]);
    // A name is cleaned and cut for showing; the first value of a key counts.
    expect(heard(txt(...VALID_TXT.map((e) => e.replace('name=Ann', `name=A\u0007nn ${'x'.repeat(100)}`)), 'name=Bob'))[0]?.announcement.name).toBe(`Ann ${'x'.repeat(36)}`);
    const noSrv = txt(...VALID_TXT).filter((record) => record.type !== 'SRV');
    expect(heard(noSrv)).toEqual([]);
    const badPort = txt(...VALID_TXT).map((record) => (record.type === 'SRV' ? { ...record, data: { port: 0, target: 'x.local' } } : record));
    expect(heard(badPort)).toEqual([]);
    // Only the first 64 records of a packet are read.
    const flood: Answer[] = [...Array.from({ length: 64 }, (_, i): Answer => ({ name: `n${i}.local`, type: 'A', ttl: 120, data: '10.0.0.1' })), ...txt(...VALID_TXT)];
    expect(heard(flood)).toEqual([]);
  });

  it('answer queries for the service, the instance and the host only', () => {
    expect(asksFor([{ name: SERVICE_TYPE, type: 'PTR' }], ANN)).toBe(true);
    expect(asksFor([{ name: instanceName(ANN).toUpperCase(), type: 'ANY' }], ANN)).toBe(true);
    expect(asksFor([{ name: '_http._tcp.local', type: 'PTR' }], ANN)).toBe(false);
  });
});
