/**
 * What Synod says and reads on the local network (DNS-SD over mDNS, RFC 6763/6762), as pure functions:
 * the records a node announces itself with, and the validated announcements read from a packet.
 *
 *   _synod._udp.local              PTR  <id>-<tag>._synod._udp.local
 *   <id>-<tag>._synod._udp.local   SRV  port = the node's UDP port, target <id>-<tag>.local
 *                                  TXT  v=1 id=<node id> name=<display name> cluster=<tag> members=<n>
 *   <id>-<tag>.local               A    the machine's LAN addresses
 *
 * An announcement carries nothing secret: the tag only groups the members of one cluster and is a hash
 * of the cluster id, which every peer datagram already carries in clear, never of the secret.
 *
 * Everything heard is untrusted (anyone on the LAN can send anything): a packet is read record by
 * record, up to a bound, each field checked; whatever fails is skipped. What survives is only ever a
 * list for a person to pick from: the address it came from and the port it names, a name to show.
 */
import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { Answer } from 'dns-packet';
import { MAX_MEMBERS } from '../core/membership';
import { isValidNodeId } from '../core/node-id';

export const SERVICE_TYPE = '_synod._udp.local';
const FORMAT_VERSION = '1';
/** Records read from one packet at most; a real answer has about eight. */
const MAX_RECORDS_READ = 64;
/** Names shown are cut to this many characters (display names have at most 40). */
const MAX_NAME_CHARACTERS = 40;
/** A TXT string longer than this is not one of ours. */
const MAX_TXT_STRING_BYTES = 255;
const TAG_PATTERN = /^[0-9a-f]{16}$/;
/** Seconds a record may be cached: short, since members come and go with laptops. */
export const RECORD_TTL_SECONDS = 120;

/** What a member says about itself. */
export interface Announcement {
  readonly id: string;
  readonly name: string;
  /** clusterTag() of its cluster. */
  readonly tag: string;
  /** Members of its cluster (1..64). */
  readonly members: number;
  /** Its UDP port. */
  readonly port: number;
}

/** An announcement as heard: from which address. */
export interface Heard {
  readonly instance: string;
  readonly announcement: Announcement;
  /** `host:port`: the packet's source address and the announced port. */
  readonly address: string;
}

/** What one response packet says: announcements, and instances saying goodbye (TTL 0). */
export interface HeardInPacket {
  readonly heard: readonly Heard[];
  readonly goodbyes: readonly string[];
}

/** Groups a cluster's announcements: a hash of the cluster id (public), never of the secret. */
export function clusterTag(clusterIdHex: string): string {
  return createHash('sha256').update(`synod-discovery-v1:${clusterIdHex}`).digest('hex').slice(0, 16);
}

/** The DNS-SD instance name of an announcement: unique per node and cluster, at most 49 of a label's 63 bytes. */
export function instanceName(announcement: Pick<Announcement, 'id' | 'tag'>): string {
  return `${announcement.id}-${announcement.tag}.${SERVICE_TYPE}`;
}

function hostName(announcement: Pick<Announcement, 'id' | 'tag'>): string {
  return `${announcement.id}-${announcement.tag}.local`;
}

/** The records announcing `announcement`, the host's `addresses` (IPv4) as A records; TTL 0 says goodbye. */
export function announcementRecords(announcement: Announcement, addresses: readonly string[], ttlSeconds = RECORD_TTL_SECONDS): Answer[] {
  const instance = instanceName(announcement);
  const host = hostName(announcement);
  const txt = [`v=${FORMAT_VERSION}`, `id=${announcement.id}`, `name=${announcement.name}`, `cluster=${announcement.tag}`, `members=${announcement.members}`];
  return [
    { name: SERVICE_TYPE, type: 'PTR', ttl: ttlSeconds, data: instance },
    { name: instance, type: 'SRV', ttl: ttlSeconds, data: { port: announcement.port, target: host } },
    { name: instance, type: 'TXT', ttl: ttlSeconds, data: txt.map((entry) => Buffer.from(entry, 'utf8')) },
    ...addresses.filter((address) => isIPv4(address)).map((address): Answer => ({ name: host, type: 'A', ttl: ttlSeconds, data: address })),
  ];
}

/** Whether a query asks for what a node announces (the service type, or its own instance or host). */
export function asksFor(questions: readonly { readonly name: string; readonly type: string }[], announcement: Pick<Announcement, 'id' | 'tag'>): boolean {
  const names = new Set([SERVICE_TYPE, instanceName(announcement), hostName(announcement)]);
  return questions.slice(0, MAX_RECORDS_READ).some((question) => typeof question.name === 'string' && names.has(question.name.toLowerCase()));
}

/** The announcements and goodbyes in a response packet from `sourceAddress`, each checked; the rest is skipped. */
export function readResponse(records: readonly Answer[], sourceAddress: string): HeardInPacket {
  if (!isIPv4(sourceAddress)) return { heard: [], goodbyes: [] };
  const read = records.slice(0, MAX_RECORDS_READ);
  const heard: Heard[] = [];
  const goodbyes: string[] = [];
  for (const record of read) {
    if (record.type !== 'PTR' || typeof record.name !== 'string' || record.name.toLowerCase() !== SERVICE_TYPE || typeof record.data !== 'string') continue;
    const instance = record.data.toLowerCase();
    if (!instance.endsWith(`.${SERVICE_TYPE}`) || instance.length > 255) continue;
    if (record.ttl === 0) {
      goodbyes.push(instance);
      continue;
    }
    const announcement = announcementOf(read, instance);
    if (announcement === null || instanceName(announcement).toLowerCase() !== instance) continue;
    heard.push({ instance, announcement, address: `${sourceAddress}:${announcement.port}` });
  }
  return { heard, goodbyes };
}

function announcementOf(records: readonly Answer[], instance: string): Announcement | null {
  const named = records.filter((record) => typeof record.name === 'string' && record.name.toLowerCase() === instance && (record as { ttl?: number }).ttl !== 0);
  const srv = named.find((record) => record.type === 'SRV');
  const txt = named.find((record) => record.type === 'TXT');
  if (srv?.type !== 'SRV' || txt?.type !== 'TXT') return null;
  const port = srv.data?.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) return null;
  const fields = txtFields(txt.data);
  if (fields === null || fields.get('v') !== FORMAT_VERSION) return null;
  const id = fields.get('id') ?? '';
  const tag = fields.get('cluster') ?? '';
  const members = Number(fields.get('members'));
  const name = shownName(fields.get('name') ?? '');
  if (!isValidNodeId(id) || !TAG_PATTERN.test(tag) || !Number.isInteger(members) || members < 1 || members > MAX_MEMBERS || name === null) return null;
  return { id, name, tag, members, port };
}

/** TXT strings as key=value (RFC 6763 §6: the first one of a key counts), or null when they are not ours. */
function txtFields(data: unknown): Map<string, string> | null {
  const entries = Array.isArray(data) ? data : [data];
  if (entries.length > 16) return null;
  const fields = new Map<string, string>();
  for (const entry of entries) {
    if (!(typeof entry === 'string' || Buffer.isBuffer(entry)) || entry.length > MAX_TXT_STRING_BYTES) return null;
    const text = Buffer.isBuffer(entry) ? entry.toString('utf8') : entry;
    const eq = text.indexOf('=');
    if (eq <= 0) continue;
    const key = text.slice(0, eq).toLowerCase();
    if (!fields.has(key)) fields.set(key, text.slice(eq + 1));
  }
  return fields;
}

/** A name fit to show: no control or formatting characters, at most 40 characters; null when nothing is left. */
function shownName(raw: string): string | null {
  const cleaned = [...raw.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\uFFFD]/gu, '').trim()].slice(0, MAX_NAME_CHARACTERS).join('');
  return cleaned === '' ? null : cleaned;
}
