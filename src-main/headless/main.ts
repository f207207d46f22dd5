/**
 * `synod-node`: one replica without a window, with its dashboard in a browser. Parses the command
 * line, resolves the cluster secret, starts the node, LAN discovery (--discover) and the HTTP bridge
 * (with the API token kept in the data directory), prints where to find them, and shuts down cleanly
 * on SIGINT/SIGTERM (final checkpoint). Logs go to stderr, one line per event; no secret, invite code
 * or token ever goes into one.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterSecretProblem } from '../../shared/cluster-secret';
import { writeFileAtomically } from '../node/atomic-file';
import { announceHost, LanDiscovery } from '../node/discovery';
import { NodeHost, type NodeHostOptions } from '../node/node-host';
import { lineLogger, type Logger } from '../node/logger';
import type { NodeOptions } from '../node/replica-node';
import { createNodeService, discoveryOff } from '../service/node-service';
import { StorageError } from '../storage/errors';
import { API_TOKEN_FILE, storedApiToken } from './api-token';
import { httpExposureWarning, parseCli, USAGE, type CliOptions } from './cli-args';
import { startHttpBridge } from './http-bridge';
import { checkpointWorkerScript } from '../storage/checkpoint-builder';

/**
 * The package root: two levels up both from this source file (src-main/headless/main.ts, run through
 * tsx before a build) and from the built entry (out/main/headless.js, what bin/synod-node.mjs runs),
 * so the dashboard (out/renderer) and package.json are found either way. sql.js stays an external
 * dependency in the build and loads its wasm file from beside its own JavaScript in node_modules.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RENDERER_DIR = join(ROOT, 'out', 'renderer');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function readTrimmed(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : null;
}

function fail(message: string, exitCode: number): never {
  process.stderr.write(`synod-node: ${message}\n`);
  process.exit(exitCode);
}

/** The secret in `path` (trimmed), or exit 2 with the reason when it cannot be read or breaks the rule. */
function readSecretFile(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    fail(`cannot read ${what} ${path}: ${(error as Error).message}`, 2);
  }
  const problem = clusterSecretProblem(text);
  if (problem !== null) fail(`the secret in ${what} ${path} ${problem}`, 2);
  return text;
}

/**
 * The cluster secret: given, read from a file, or (one-node cluster) generated once and kept in the
 * data directory. A generated secret is durable (atomic-file.ts) before the node starts and records
 * the cluster id it derives: a power loss can never leave a data directory whose secret is lost.
 */
function resolveSecret(options: CliOptions): string {
  const source = options.secret;
  if (source.kind === 'value' || source.kind === 'join-code') return source.value;
  if (source.kind === 'file') return readSecretFile(source.path, '--secret-file');
  const path = join(options.dataDir, 'cluster-secret');
  if (existsSync(path)) return readSecretFile(path, 'the generated secret file');
  const secret = randomBytes(24).toString('base64url');
  writeFileAtomically(path, `${secret}\n`);
  process.stderr.write(`synod-node: generated a cluster secret in ${path}; give it to the machines that join this cluster\n`);
  return secret;
}

async function main(): Promise<void> {
  const parsed = parseCli(process.argv.slice(2), process.env, (path) => readFileSync(path, 'utf8'));
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (parsed.kind === 'error') fail(`${parsed.message}\nRun synod-node --help for the options.`, 2);
  const options = parsed.options;
  mkdirSync(options.dataDir, { recursive: true });
  const secret = resolveSecret(options);
  const logger = lineLogger(options.id, (line) => process.stderr.write(line));

  // A node that generated its secret keeps it in its data directory; one that joins a cluster from its
  // dashboard or with an invite code keeps that cluster's secret there instead (its command line
  // cannot change, and a code is given once), and a restart without a secret finds it.
  const secretPath = join(options.dataDir, 'cluster-secret');
  const tokenPath = join(options.dataDir, API_TOKEN_FILE);
  let token = options.token;
  let storedToken: string | null = null;
  if (options.http !== null && token === undefined) {
    // Kept in the data directory: the dashboard URL and every script's token survive restarts.
    try {
      const stored = storedApiToken(options.dataDir);
      storedToken = stored.token;
      if (stored.created) process.stderr.write(`synod-node: made an API token in ${stored.path}; the dashboard URL stays the same at every start\n`);
    } catch (error) {
      fail((error as Error).message, 2);
    }
    token = storedToken ?? undefined;
  }
  const onFreshDataDir = (joined: string): void => {
    writeFileAtomically(secretPath, `${joined}\n`);
    if (storedToken !== null) writeFileAtomically(tokenPath, `${storedToken}\n`);
    if (options.secret.kind === 'value' || options.secret.kind === 'file') logger.event('joined-cluster-secret', { note: `the new cluster's secret is in ${secretPath}: start this node with --secret-file ${secretPath} from now on` });
  };
  const nodeOptions: NodeOptions = {
    id: options.id,
    dataDir: options.dataDir,
    listen: options.listen,
    peers: options.peers,
    join: options.join,
    secret,
    version: VERSION,
    logger,
    onFatal: (error) => fail(`stopped after a storage failure: ${String(error)}. Nothing acknowledged was lost; fix the disk and restart.`, 1),
    checkpointWorker: checkpointWorkerScript(import.meta.url),
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    ...(options.retainSlots === undefined ? {} : { retainSlots: options.retainSlots }),
    ...(options.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: options.maxDatagramBytes }),
    ...(options.latencyProbe ? { latencyProbe: true } : {}),
  };
  let host: NodeHost;
  try {
    host = await startHost(nodeOptions, { onFreshDataDir }, options.discardHistory, logger);
  } catch (error) {
    if (error instanceof StorageError) {
      logger.event('refused-to-start', { code: error.code });
      fail(error.message, error.exitCode);
    }
    throw error;
  }

  if (options.secret.kind === 'join-code' && readTrimmed(secretPath) !== secret) {
    writeFileAtomically(secretPath, `${secret}\n`);
    logger.event('joined-cluster-secret', { note: `the secret of the invite code is kept in ${secretPath}: restarts need no code` });
  }
  const node = host.node;
  const discovery = options.discover ? new LanDiscovery({ logger }) : null;
  const stopAnnouncing = discovery === null ? null : announceHost(discovery, host);
  const api = createNodeService(host, discovery ?? discoveryOff('This node does not look for clusters on the local network: start synod-node with --discover to list them here.'));
  // A non-loopback --http address was asked for explicitly: allowed, with the risk spelled out.
  const exposure = options.http === null ? null : httpExposureWarning(options.http);
  if (exposure !== null) process.stderr.write(`synod-node: WARNING: ${exposure}\n`);
  const bridge =
    options.http === null || token === undefined
      ? null
      : await startHttpBridge({
          api,
          host: options.http.host,
          port: options.http.port,
          token,
          staticDir: existsSync(join(RENDERER_DIR, 'index.html')) ? RENDERER_DIR : null,
          allowRemote: exposure !== null,
        });
  const state = node.state();
  const joining = state.joining === null ? '' : ` (joining through ${state.joining.contact})`;
  process.stdout.write(`synod-node ${state.id}: cluster ${state.clusterId}, UDP ${state.address}${joining || (state.peers.length === 0 ? ' (one-node cluster)' : `, peers ${state.peers.map((p) => `${p.id}=${p.address}`).join(' ')}`)}\n`);
  if (bridge !== null) process.stdout.write(`dashboard: ${bridge.dashboardUrl}\n`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) process.exit(1); // a second signal: stop at once
    stopping = true;
    logger.event('shutdown', { signal });
    void (async () => {
      await bridge?.close();
      stopAnnouncing?.();
      await discovery?.stop();
      await host.stop();
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/**
 * Starts the node. With --join --discard-history, a data directory holding this node's own one-node
 * cluster is moved aside (renamed, never deleted) and the node starts empty to join.
 */
async function startHost(options: NodeOptions, hostOptions: NodeHostOptions, discardHistory: boolean, logger: Logger): Promise<NodeHost> {
  try {
    return await NodeHost.start(options, hostOptions);
  } catch (error) {
    // With --join, a directory of another cluster (its own one-node cluster, say) would be left behind.
    const otherHistory = error instanceof StorageError && (options.join ?? null) !== null && (error.code === 'holds-own-history' || error.code === 'wrong-cluster');
    if (!otherHistory) throw error;
    if (!discardHistory) {
      throw new StorageError(
        'holds-own-history',
        `${options.dataDir} holds the history of another cluster (this node's own one-node cluster, for instance). Joining would discard it from this node: pass --discard-history to keep it aside (renamed) and join, or use another --data directory.`,
      );
    }
    const aside = `${options.dataDir}.before-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(options.dataDir, aside);
    mkdirSync(options.dataDir, { recursive: true });
    // The API token belongs to the node, not to the history: its URL and scripts keep working.
    const token = readTrimmed(join(aside, API_TOKEN_FILE));
    if (token !== null) writeFileAtomically(join(options.dataDir, API_TOKEN_FILE), `${token}\n`);
    logger.event('history-set-aside', { dir: aside });
    return NodeHost.start(options, hostOptions);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`synod-node: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
