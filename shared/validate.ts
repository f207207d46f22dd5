/**
 * Validation of API arguments at the boundary (HTTP bridge, IPC handler, and the service itself):
 * anything that is not exactly what a method accepts is rejected with an `invalid-argument` ApiError
 * that says what is wrong, before any work is done. Deep checks that need the node's state (does this
 * user exist? is the tweet 1..280 characters?) happen in the service, with equally clear messages.
 */
import { API_METHODS, ApiError, MAX_CLUSTER_FAULT_DELAY_MS, MAX_CLUSTER_FAULT_TTL_MS, MAX_CRASH_DOWN_MS, MIN_CRASH_DOWN_MS, type ApiMethodName, type ApiMethods, type Faults } from './api';
import { clusterSecretProblem } from './cluster-secret';
import { addressProblem } from './address-syntax';

export { addressProblem } from './address-syntax';

import { NODE_ID_PATTERN } from '../src-main/core/node-id';

/** Node ids: what the protocol accepts (one rule, the core's). */
export { NODE_ID_PATTERN };
/** Upper bound on raw tweet text before normalization (the 280-character rule is the service's). */
const MAX_RAW_TEXT_LENGTH = 4_000;

function invalid(message: string): ApiError {
  return new ApiError({ code: 'invalid-argument', message });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(method: string, args: Record<string, unknown>, allowed: readonly string[]): void {
  const extra = Object.keys(args).filter((key) => !allowed.includes(key));
  if (extra.length > 0) throw invalid(`${method}: unknown argument ${extra.map((k) => JSON.stringify(k)).join(', ')}; allowed: ${allowed.join(', ') || 'none'}`);
}

function objectArgs(method: string, raw: unknown, allowed: readonly string[], optional: boolean): Record<string, unknown> {
  if (raw === undefined || raw === null) {
    if (optional) return {};
    throw invalid(`${method} needs an argument object`);
  }
  if (!isRecord(raw)) throw invalid(`${method} takes an object argument, got ${Array.isArray(raw) ? 'an array' : typeof raw}`);
  onlyKeys(method, raw, allowed);
  return raw;
}

function integerIn(method: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${method}: ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function userId(method: string, value: unknown): string {
  if (typeof value !== 'string' || !NODE_ID_PATTERN.test(value)) {
    throw invalid(`${method}: user must be a user id (1 to 32 letters, digits, "-" or "_"), got ${JSON.stringify(value)}`);
  }
  return value;
}

type Validators = { readonly [M in ApiMethodName]: (raw: unknown) => ApiMethods[M]['args'] };

const noArgs =
  (method: string) =>
  (raw: unknown): void => {
    if (raw === undefined || raw === null) return;
    if (isRecord(raw) && Object.keys(raw).length === 0) return;
    throw invalid(`${method} takes no arguments`);
  };

/** A join asks the members it is given in turn: a handful is plenty (an invite code lists at most 16). */
const MAX_JOIN_ADDRESSES = 16;


const VALIDATORS: Validators = {
  status: noArgs('status'),
  config: noArgs('config'),
  revealSecret: noArgs('revealSecret'),
  inviteCode: noArgs('inviteCode'),
  discovered: noArgs('discovered'),
  updateConfig(raw) {
    const args = objectArgs('updateConfig', raw, ['name', 'port'], false);
    const result: { name?: string; port?: number } = {};
    if (args['name'] !== undefined) {
      const name = args['name'];
      if (typeof name !== 'string' || name.trim().length === 0 || name.length > 40) throw invalid('updateConfig: name must be 1 to 40 characters');
      result.name = name.trim();
    }
    if (args['port'] !== undefined) result.port = integerIn('updateConfig', 'port', args['port'], 1, 65_535);
    return result;
  },
  join(raw) {
    const args = objectArgs('join', raw, ['address', 'secret', 'discardHistory'], false);
    const given = args['address'];
    const addresses: unknown[] = Array.isArray(given) ? given : [given];
    if (addresses.length === 0) throw invalid("join: give the address of at least one member");
    if (addresses.length > MAX_JOIN_ADDRESSES) throw invalid(`join: at most ${MAX_JOIN_ADDRESSES} member addresses, got ${addresses.length}`);
    for (const address of addresses) {
      const problem = addressProblem(address);
      if (problem !== null) throw invalid(`join: the member's address ${problem}`);
    }
    const secret = args['secret'];
    if (typeof secret !== 'string') throw invalid(`join: the cluster secret must be a string, got ${typeof secret}`);
    const secretProblem = clusterSecretProblem(secret);
    if (secretProblem !== null) throw invalid(`join: the cluster secret ${secretProblem}`);
    const discard = args['discardHistory'];
    if (discard !== undefined && typeof discard !== 'boolean') throw invalid('join: discardHistory must be true or false');
    return { address: Array.isArray(given) ? [...new Set(addresses as string[])] : (given as string), secret, ...(discard === undefined ? {} : { discardHistory: discard }) };
  },
  removeMember(raw) {
    const args = objectArgs('removeMember', raw, ['id', 'force'], false);
    const force = args['force'];
    if (force !== undefined && typeof force !== 'boolean') throw invalid('removeMember: force must be true or false');
    return { id: userId('removeMember', args['id']), ...(force === undefined ? {} : { force }) };
  },
  clusterTrace(raw) {
    const args = objectArgs('clusterTrace', raw, ['sinceMs', 'afterSeq', 'limit', 'watch'], true);
    const result: { sinceMs?: number; afterSeq?: number; limit?: number; watch?: boolean } = {};
    if (args['sinceMs'] !== undefined) result.sinceMs = integerIn('clusterTrace', 'sinceMs', args['sinceMs'], 0, Number.MAX_SAFE_INTEGER);
    if (args['afterSeq'] !== undefined) result.afterSeq = integerIn('clusterTrace', 'afterSeq', args['afterSeq'], 0, Number.MAX_SAFE_INTEGER);
    if (args['limit'] !== undefined) result.limit = integerIn('clusterTrace', 'limit', args['limit'], 1, 10_000);
    if (args['watch'] !== undefined) {
      if (typeof args['watch'] !== 'boolean') throw invalid('clusterTrace: watch must be true or false');
      result.watch = args['watch'];
    }
    return result;
  },
  users: noArgs('users'),
  peers: noArgs('peers'),
  faults: noArgs('faults'),
  tweet(raw) {
    const args = objectArgs('tweet', raw, ['text'], false);
    if (typeof args['text'] !== 'string') throw invalid('tweet: text must be a string');
    if (args['text'].length > MAX_RAW_TEXT_LENGTH) throw invalid(`tweet: text is far longer than 280 characters (${args['text'].length})`);
    return { text: args['text'] };
  },
  block(raw) {
    return { user: userId('block', objectArgs('block', raw, ['user'], false)['user']) };
  },
  unblock(raw) {
    return { user: userId('unblock', objectArgs('unblock', raw, ['user'], false)['user']) };
  },
  timeline(raw) {
    const args = objectArgs('timeline', raw, ['limit', 'before'], true);
    const result: { limit?: number; before?: { slot: number; position: number } } = {};
    if (args['limit'] !== undefined) result.limit = integerIn('timeline', 'limit', args['limit'], 1, 500);
    if (args['before'] !== undefined) {
      const before = args['before'];
      if (!isRecord(before)) throw invalid('timeline: before must be {slot, position}');
      onlyKeys('timeline.before', before, ['slot', 'position']);
      result.before = {
        slot: integerIn('timeline', 'before.slot', before['slot'], 1, Number.MAX_SAFE_INTEGER),
        position: integerIn('timeline', 'before.position', before['position'], 0, Number.MAX_SAFE_INTEGER),
      };
    }
    return result;
  },
  log(raw) {
    const args = objectArgs('log', raw, ['from', 'limit'], true);
    const result: { from?: number; limit?: number } = {};
    if (args['from'] !== undefined) result.from = integerIn('log', 'from', args['from'], 1, Number.MAX_SAFE_INTEGER);
    if (args['limit'] !== undefined) result.limit = integerIn('log', 'limit', args['limit'], 1, 1000);
    return result;
  },
  setFaults(raw) {
    const args = objectArgs('setFaults', raw, ['dropRate', 'delayMs', 'isolate'], false);
    const result: { -readonly [K in keyof Faults]?: Faults[K] } = {};
    if (args['dropRate'] !== undefined) {
      const rate = args['dropRate'];
      if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw invalid(`setFaults: dropRate must be a number from 0 to 1, got ${JSON.stringify(rate)}`);
      result.dropRate = rate;
    }
    if (args['delayMs'] !== undefined) result.delayMs = integerIn('setFaults', 'delayMs', args['delayMs'], 0, 10_000);
    if (args['isolate'] !== undefined) {
      const isolate = args['isolate'];
      if (!Array.isArray(isolate) || isolate.length > 64) throw invalid('setFaults: isolate must be a list of peer ids');
      result.isolate = [...new Set(isolate.map((id) => userId('setFaults', id)))];
    }
    return result;
  },
  clusterFaults(raw) {
    const args = objectArgs('clusterFaults', raw, ['member', 'faults', 'ttlMs'], false);
    const member = userId('clusterFaults', args['member']);
    const ttlMs = integerIn('clusterFaults', 'ttlMs', args['ttlMs'], 0, MAX_CLUSTER_FAULT_TTL_MS);
    const faults = objectArgs('clusterFaults', args['faults'], ['dropRate', 'delayMs', 'isolate'], false);
    const rate = faults['dropRate'];
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw invalid(`clusterFaults: faults.dropRate must be a number from 0 to 1, got ${JSON.stringify(rate)}`);
    const delayMs = integerIn('clusterFaults', 'faults.delayMs', faults['delayMs'], 0, MAX_CLUSTER_FAULT_DELAY_MS);
    const isolate = faults['isolate'];
    if (!Array.isArray(isolate) || isolate.length > 64) throw invalid('clusterFaults: faults.isolate must be a list of at most 64 member ids');
    const ids = [...new Set(isolate.map((id) => userId('clusterFaults', id)))];
    if (ids.includes(member)) throw invalid(`clusterFaults: ${member} cannot be isolated from itself`);
    return { member, faults: { dropRate: rate, delayMs, isolate: ids }, ttlMs };
  },
  campaignNow(raw) {
    const args = objectArgs('campaignNow', raw, ['member'], false);
    return { member: userId('campaignNow', args['member']) };
  },
  crashMember(raw) {
    const args = objectArgs('crashMember', raw, ['member', 'downMs'], false);
    return { member: userId('crashMember', args['member']), downMs: integerIn('crashMember', 'downMs', args['downMs'], MIN_CRASH_DOWN_MS, MAX_CRASH_DOWN_MS) };
  },
};

export function isApiMethod(name: string): name is ApiMethodName {
  return (API_METHODS as readonly string[]).includes(name);
}

/** Returns the method's arguments, checked and normalized, or throws an `invalid-argument` ApiError. */
export function validateArgs<M extends ApiMethodName>(method: M, raw: unknown): ApiMethods[M]['args'] {
  return VALIDATORS[method](raw) as ApiMethods[M]['args'];
}
