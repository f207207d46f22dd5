/**
 * `synod-node`: one replica without a window, with its dashboard in a browser. Parses the command
 * line, resolves the cluster secret, starts the node and the HTTP bridge, prints where to find them,
 * and shuts down cleanly on SIGINT/SIGTERM (final checkpoint). Logs go to stderr, one line per event.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeHost } from '../node/node-host';
import { lineLogger } from '../node/logger';
import { createNodeService } from '../service/node-service';
import { StorageError } from '../storage/errors';
import { parseCli, USAGE, type CliOptions } from './cli-args';
import { startHttpBridge } from './http-bridge';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RENDERER_DIR = join(ROOT, 'out', 'renderer');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function fail(message: string, exitCode: number): never {
  process.stderr.write(`synod-node: ${message}\n`);
  process.exit(exitCode);
}

/** The cluster secret: given, read from a file, or (one-node cluster) generated once and kept in the data directory. */
function resolveSecret(options: CliOptions): string {
  const source = options.secret;
  if (source.kind === 'value') return source.value;
  if (source.kind === 'file') {
    let text: string;
    try {
      text = readFileSync(source.path, 'utf8').trim();
    } catch (error) {
      fail(`cannot read --secret-file ${source.path}: ${(error as Error).message}`, 2);
    }
    if (text.length < 8) fail(`the secret in ${source.path} must be at least 8 characters`, 2);
    return text;
  }
  const path = join(options.dataDir, 'cluster-secret');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const secret = randomBytes(24).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  process.stderr.write(`synod-node: generated a cluster secret in ${path}; give it to the machines that join this cluster\n`);
  return secret;
}

async function main(): Promise<void> {
  const parsed = parseCli(process.argv.slice(2), process.env);
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
  const { mkdirSync } = await import('node:fs');
  mkdirSync(options.dataDir, { recursive: true });
  const secret = resolveSecret(options);
  const logger = lineLogger(options.id, (line) => process.stderr.write(line));

  let host: NodeHost;
  try {
    host = await NodeHost.start({
      id: options.id,
      dataDir: options.dataDir,
      listen: options.listen,
      peers: options.peers,
      secret,
      version: VERSION,
      logger,
      onFatal: (error) => fail(`stopped after a storage failure: ${String(error)}. Nothing acknowledged was lost; fix the disk and restart.`, 1),
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
      ...(options.retainSlots === undefined ? {} : { retainSlots: options.retainSlots }),
      ...(options.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: options.maxDatagramBytes }),
    });
  } catch (error) {
    if (error instanceof StorageError) {
      logger.event('refused-to-start', { code: error.code });
      fail(error.message, error.exitCode);
    }
    throw error;
  }

  const node = host.node;
  const api = createNodeService(host);
  const bridge =
    options.http === null
      ? null
      : await startHttpBridge({
          api,
          host: options.http.host,
          port: options.http.port,
          token: options.token ?? randomBytes(18).toString('base64url'),
          staticDir: existsSync(join(RENDERER_DIR, 'index.html')) ? RENDERER_DIR : null,
        });
  const status = node.status();
  process.stdout.write(`synod-node ${status.id}: cluster ${status.clusterId}, UDP ${status.address}${status.peers.length === 0 ? ' (one-node cluster)' : `, peers ${status.peers.map((p) => `${p.id}=${p.address}`).join(' ')}`}\n`);
  if (bridge !== null) process.stdout.write(`dashboard: ${bridge.dashboardUrl}\n`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) process.exit(1); // a second signal: stop at once
    stopping = true;
    logger.event('shutdown', { signal });
    void (async () => {
      await bridge?.close();
      await host.stop();
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`synod-node: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
