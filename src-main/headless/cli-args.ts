/**
 * The synod-node command line, parsed without side effects (the entry point does the I/O), so every
 * mistake a user can make gets a precise message and exit code 2 before anything starts.
 */
import { parseArgs } from 'node:util';
import { clusterSecretProblem } from '../../shared/cluster-secret';
import { decodeInviteCode } from '../../shared/invite-code';
import type { HostPort } from '../net/address';
import { isLoopbackHost } from './http-guard';

export const USAGE = `Usage: synod-node --id ID --data DIR [options]

Runs one Synod replica (the same one the desktop app embeds) without a window.

Required:
  --id ID               this node's id (1-32 letters, digits, - or _); also its user name
  --data DIR            data directory (created if missing; one per node)

Cluster:
  --listen HOST:PORT    UDP address for peer traffic (default 0.0.0.0:7400)
  --peer ID=HOST:PORT   another member of a NEW cluster; repeat once per member. Without
                        any --peer (or --join) this is a one-node cluster that works at once
  --join HOST:PORT      join the running cluster of the member at this UDP address (needs
                        the cluster's secret); the member adds this node through the log
  --join-code-file FILE join with the invite code in FILE (a member's Peers page shows it under
                        "Invite a machine"): it carries some members' addresses and the secret.
                        Or give it in the SYNOD_JOIN_CODE environment variable
  --join-code CODE      the invite code itself: visible in the process list, like --secret
  --discard-history     with --join or a join code: allowed to set aside DIR's own one-node history
  --secret-file FILE    read the cluster secret (8 to 512 characters, the same on every
                        member) from FILE, or give it in the SYNOD_SECRET environment variable.
                        A one-node cluster without a secret generates one in DIR/cluster-secret
  --secret S            the secret itself: other users of this machine can read it in the
                        process list, so prefer --secret-file
  --name NAME           display name of this node's user (default: the id)
  --discover            announce this node on the local network (mDNS) and list the Synod
                        clusters heard there on the Peers page (never the secret)

Dashboard and API:
  --http [HOST:]PORT    serve the HTTP API and the dashboard (host defaults to 127.0.0.1; any
                        other address, 0.0.0.0 included, exposes it unencrypted: a warning says so)
  --token T             API token (default: SYNOD_TOKEN, else the one kept in DIR/api-token, made
                        at the first start); like --secret, visible in the process list

Tuning:
  --tick-ms MS          protocol tick (default 10; election timeouts are 10-20 ticks)
  --request-timeout-ms MS   a command not chosen by then answers "pending" (default 5000)
  --retain-slots N      chosen slots kept before compaction (default 10000)
  --max-datagram BYTES  largest UDP datagram sent (default 1400, MTU-safe; up to 65000)
  --latency-probe       log where every 4th slot's time goes (a "latency" line per slot: queue,
                        fsync, first accepted, chosen, applied); for npm run bench:latency

  -h, --help            show this help
  -v, --version         show the version

Exit codes: 0 clean stop, 2 bad arguments, 70-77 the data directory cannot be trusted, is
in use or holds history --join would discard (see README, "When a node refuses to start"),
1 anything else.`;

export interface CliOptions {
  readonly id: string;
  readonly dataDir: string;
  readonly name: string | undefined;
  readonly listen: HostPort;
  readonly peers: ReadonlyMap<string, HostPort>;
  /** Members of the cluster to join (any one that answers adds this node), or null. */
  readonly join: readonly HostPort[] | null;
  readonly discardHistory: boolean;
  /**
   * Where the secret comes from; resolved by the entry point (files and generation are I/O).
   * 'join-code': it came with an invite code, and the entry point keeps it in DIR/cluster-secret.
   */
  readonly secret:
    | { readonly kind: 'value'; readonly value: string }
    | { readonly kind: 'join-code'; readonly value: string }
    | { readonly kind: 'file'; readonly path: string }
    | { readonly kind: 'generate' };
  readonly discover: boolean;
  readonly http: HostPort | null;
  readonly token: string | undefined;
  readonly tickMs: number | undefined;
  readonly requestTimeoutMs: number | undefined;
  readonly retainSlots: number | undefined;
  readonly maxDatagramBytes: number | undefined;
  readonly latencyProbe: boolean;
}

export type CliParse = { readonly kind: 'run'; readonly options: CliOptions } | { readonly kind: 'help' } | { readonly kind: 'version' } | { readonly kind: 'error'; readonly message: string };

const ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** The HTTP bridge puts the token in a cookie and an HTML attribute: keep it to URL-safe characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,512}$/;

class CliError extends Error {}

function hostPort(flag: string, text: string, defaultHost: string | null): HostPort {
  const match = /^(?:(?:\[([0-9a-fA-F:]+)\]|([^:[\]]+)):)?(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2] ?? defaultHost;
  const port = Number(match?.[3]);
  if (match === null || host === null || !Number.isInteger(port) || port > 65535) {
    throw new CliError(`${flag} must be HOST:PORT${defaultHost !== null ? ' or PORT' : ''} (e.g. ${defaultHost !== null ? '8080 or ' : ''}192.168.1.20:7400), got "${text}"`);
  }
  return { host, port };
}

/**
 * The warning to print when `--http` names an address other than loopback, or null. Such an address is
 * allowed because the user asked for it explicitly, but the bridge speaks plain HTTP: whoever can reach
 * it can try tokens, and whoever is on the path reads the token and every answer.
 */
export function httpExposureWarning(http: HostPort): string | null {
  if (isLoopbackHost(http.host)) return null;
  const address = `${http.host.includes(':') ? `[${http.host}]` : http.host}:${http.port}`;
  return `the dashboard and API listen on ${address}, not only on this machine (loopback). Anyone who can reach that address can try to guess the token, and the token and every answer cross the network unencrypted (plain HTTP). Use it only on a network you trust, or behind a TLS tunnel.`;
}

function positiveInteger(flag: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new CliError(`${flag} must be an integer from 1 to ${max}, got "${text}"`);
  return value;
}

/** Reads a file named on the command line (--join-code-file); throws with the system's reason. */
export type ReadText = (path: string) => string;

/**
 * The invite code given (at most one way: --join-code, --join-code-file or SYNOD_JOIN_CODE, which only
 * counts without the other two), decoded; null when none was given. Its problems never quote it: it
 * holds the secret.
 */
function joinCode(value: string | undefined, file: string | undefined, fromEnv: string | undefined, readText: ReadText): { addresses: HostPort[]; secret: string } | null {
  if (value !== undefined && file !== undefined) throw new CliError('give the invite code once: --join-code or --join-code-file');
  let text: string;
  let where: string;
  if (file !== undefined) {
    try {
      text = readText(file);
    } catch (error) {
      throw new CliError(`cannot read --join-code-file ${file}: ${(error as Error).message}`);
    }
    where = `the invite code in ${file}`;
  } else if (value !== undefined) {
    text = value;
    where = 'the invite code (--join-code)';
  } else if (fromEnv !== undefined && fromEnv !== '') {
    text = fromEnv;
    where = 'the invite code in SYNOD_JOIN_CODE';
  } else {
    return null;
  }
  const decoded = decodeInviteCode(text);
  if (!decoded.ok) throw new CliError(`${where} cannot be used. ${decoded.problem}`);
  return { addresses: decoded.invite.addresses.map((address) => hostPort('an invite code address', address, null)), secret: decoded.invite.secret };
}

export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, readText: ReadText = () => {
  throw new Error('no file access');
}): CliParse {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        id: { type: 'string' },
        data: { type: 'string' },
        name: { type: 'string' },
        listen: { type: 'string' },
        peer: { type: 'string', multiple: true },
        join: { type: 'string' },
        'join-code': { type: 'string' },
        'join-code-file': { type: 'string' },
        'discard-history': { type: 'boolean' },
        discover: { type: 'boolean' },
        secret: { type: 'string' },
        'secret-file': { type: 'string' },
        http: { type: 'string' },
        token: { type: 'string' },
        'tick-ms': { type: 'string' },
        'request-timeout-ms': { type: 'string' },
        'retain-slots': { type: 'string' },
        'max-datagram': { type: 'string' },
        'latency-probe': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
    if (values.help === true) return { kind: 'help' };
    if (values.version === true) return { kind: 'version' };
    if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`);
    const id = values.id;
    if (id === undefined) throw new CliError('--id is required');
    if (!ID_PATTERN.test(id)) throw new CliError(`--id must be 1-32 letters, digits, "-" or "_", got "${id}"`);
    if (values.data === undefined) throw new CliError('--data is required (the directory where this node keeps its state)');
    const peers = new Map<string, HostPort>();
    for (const spec of values.peer ?? []) {
      const eq = spec.indexOf('=');
      if (eq <= 0) throw new CliError(`--peer must be ID=HOST:PORT, got "${spec}"`);
      const peerId = spec.slice(0, eq);
      if (!ID_PATTERN.test(peerId)) throw new CliError(`--peer id must be 1-32 letters, digits, "-" or "_", got "${peerId}"`);
      if (peerId === id) throw new CliError(`--peer ${peerId} is this node itself; list only the other members`);
      if (peers.has(peerId)) throw new CliError(`--peer ${peerId} is given twice`);
      peers.set(peerId, hostPort(`--peer ${peerId}`, spec.slice(eq + 1), null));
    }
    const invite = joinCode(values['join-code'], values['join-code-file'], env['SYNOD_JOIN_CODE'], readText);
    if (invite !== null && (values.join !== undefined || peers.size > 0 || values.secret !== undefined || values['secret-file'] !== undefined)) {
      throw new CliError('an invite code carries the members to join and the secret: give it without --join, --peer, --secret or --secret-file');
    }
    const join = invite?.addresses ?? (values.join === undefined ? null : [hostPort('--join', values.join, null)]);
    if (join !== null && peers.size > 0) throw new CliError('--join and --peer exclude each other: --peer lists the members of a new cluster, --join adds this node to a running one');
    if (values['discard-history'] === true && join === null) throw new CliError('--discard-history only makes sense with --join or an invite code');
    const sources = [values.secret !== undefined, values['secret-file'] !== undefined].filter(Boolean).length;
    if (sources > 1) throw new CliError('give the secret once: --secret or --secret-file');
    let secret: CliOptions['secret'];
    if (invite !== null) secret = { kind: 'join-code', value: invite.secret };
    else if (values.secret !== undefined) secret = { kind: 'value', value: values.secret };
    else if (values['secret-file'] !== undefined) secret = { kind: 'file', path: values['secret-file'] };
    else if (env['SYNOD_SECRET'] !== undefined && env['SYNOD_SECRET'] !== '') secret = { kind: 'value', value: env['SYNOD_SECRET'] };
    else if (peers.size === 0 && join === null) secret = { kind: 'generate' };
    else if (join !== null) throw new CliError("--join needs the cluster's secret: --secret S, --secret-file FILE or SYNOD_SECRET");
    else throw new CliError('a cluster needs a secret shared by all members: --secret S, --secret-file FILE or SYNOD_SECRET');
    const secretProblem = secret.kind === 'value' ? clusterSecretProblem(secret.value) : null;
    if (secretProblem !== null) throw new CliError(`the cluster secret ${secretProblem}`);
    const token = values.token ?? (env['SYNOD_TOKEN'] || undefined);
    if (token !== undefined && !TOKEN_PATTERN.test(token)) throw new CliError('the API token must be 16 to 512 characters from A-Z a-z 0-9 . _ ~ -');
    return {
      kind: 'run',
      options: {
        id,
        dataDir: values.data,
        name: values.name,
        listen: hostPort('--listen', values.listen ?? '0.0.0.0:7400', null),
        peers,
        join,
        discardHistory: values['discard-history'] === true,
        secret,
        discover: values.discover === true,
        http: values.http === undefined ? null : hostPort('--http', values.http, '127.0.0.1'),
        token,
        tickMs: positiveInteger('--tick-ms', values['tick-ms'], 10_000),
        requestTimeoutMs: positiveInteger('--request-timeout-ms', values['request-timeout-ms'], 3_600_000),
        retainSlots: positiveInteger('--retain-slots', values['retain-slots'], 100_000_000),
        maxDatagramBytes: positiveInteger('--max-datagram', values['max-datagram'], 65_000),
        latencyProbe: values['latency-probe'] === true,
      },
    };
  } catch (error) {
    if (error instanceof CliError) return { kind: 'error', message: error.message };
    if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) return { kind: 'error', message: parseArgsProblem(String(error.code), error.message) };
    throw error;
  }
}

/**
 * node:util parseArgs's errors in our words: its own advice ("place it at the end of the command after
 * '--'") is about positional arguments, which synod-node has none of.
 */
function parseArgsProblem(code: string, message: string): string {
  const quoted = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? /'([^']+)'/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return `${quoted ?? 'an option'} needs a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${quoted ?? message} (every option starts with --)`;
    default:
      return message;
  }
}
