/**
 * The rig's contact with the operating system: running `ip`, `iptables` and `tc` (inside a network
 * namespace or not), naming what a run creates, and sweeping away what runs left behind.
 *
 * Everything a rig creates is named after its run (the pid of the vitest main process, in base 36),
 * so leftovers can be told apart from a run still in progress:
 *   namespaces  synod-rig-<run>-<rig>-<role>    (hosts, routers, the switch; iptables rules and
 *                                                qdiscs live inside them and die with them)
 *   root links  syr<run><rig>                   (the management uplink; a veth dies with its peer's
 *                                                namespace, the sweep deletes it in case it did not)
 *   temp dirs   <tmpdir>/synod-rig-<run>-<rig>  (data directories, secrets)
 * A run is over when its pid is gone (or is no longer a node process): sweepLeftovers() then kills
 * the processes still inside its namespaces and deletes all three kinds. The sweep is synchronous so
 * that it can run anywhere, an exit handler included.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const RIG_PREFIX = 'synod-rig-';
/** Root-namespace interface names: 3 + 5 (run) + 4 (rig) = 12 characters, under the 15 Linux allows. */
const ROOT_LINK_PREFIX = 'syr';
const RUN_ID_CHARS = 5;
const RIG_ID_CHARS = 4;

/** This run's id: the pid of the process that owns the run, padded base 36. */
export function runIdOf(pid: number): string {
  return pid.toString(36).padStart(RUN_ID_CHARS, '0');
}

export function newRigId(): string {
  return Math.floor(Math.random() * 36 ** RIG_ID_CHARS)
    .toString(36)
    .padStart(RIG_ID_CHARS, '0');
}

export function namespaceName(runId: string, rigId: string, role: string): string {
  return `${RIG_PREFIX}${runId}-${rigId}-${role}`;
}

export function rootLinkName(runId: string, rigId: string): string {
  return `${ROOT_LINK_PREFIX}${runId}${rigId}`;
}

export function rigTempDir(runId: string, rigId: string): string {
  return join(tmpdir(), `${RIG_PREFIX}${runId}-${rigId}`);
}

const SYSTEM_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

/** The absolute path of a system tool (root's PATH may lack /usr/sbin under some runners), or null. */
export function findTool(name: string): string | null {
  for (const dir of [...(process.env['PATH'] ?? '').split(delimiter), ...SYSTEM_DIRS]) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

function tool(name: string): string {
  const path = findTool(name);
  if (path === null) throw new Error(`${name} is not installed (Debian: apt-get install iproute2 iptables)`);
  return path;
}

export class CommandError extends Error {}

/** Runs a command; rejects with its stderr when it fails. */
export function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool(command), args, { encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new CommandError(`${command} ${args.join(' ')}: ${stderr.trim() || error.message}`));
    });
  });
}

/** Runs a command inside network namespace `ns`. */
export function runIn(ns: string, command: string, args: readonly string[]): Promise<string> {
  return run('ip', ['netns', 'exec', ns, tool(command), ...args]);
}

const shellQuote = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/**
 * Commands run one after the other by one shell: building a network takes about a hundred short
 * commands, and one process spawn each from a large test process costs seconds on a busy machine.
 * Stops at the first failure and names it.
 */
export class CommandScript {
  private readonly lines: string[] = [];

  add(command: string, args: readonly string[]): void {
    this.lines.push([tool(command), ...args].map(shellQuote).join(' '));
  }

  /** `command` inside network namespace `ns`. */
  addIn(ns: string, command: string, args: readonly string[]): void {
    this.add('ip', ['netns', 'exec', ns, tool(command), ...args]);
  }

  run(): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(tool('sh'), ['-exc', this.lines.join('\n')], { encoding: 'utf8', timeout: 60_000 }, (error, _stdout, stderr) => {
        if (error === null) return resolve();
        // With -x the shell traces each command before running it: the last trace is the one that failed.
        const lines = stderr.trim().split('\n');
        const failed = lines.findLastIndex((line) => line.startsWith('+ '));
        reject(new CommandError(`${lines.slice(Math.max(0, failed)).join('\n') || error.message}`));
      });
    });
  }
}

function runSync(command: string, args: readonly string[]): string {
  return execFileSync(tool(command), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
}

/** Whether `runId` names a run that is still in progress (its owner process is a live node process). */
function runIsLive(runId: string): boolean {
  const pid = Number.parseInt(runId, 36);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('node');
  } catch {
    return false;
  }
}

function listNamespaces(): string[] {
  const text = runSync('ip', ['-j', 'netns', 'list']).trim();
  return text === '' ? [] : (JSON.parse(text) as { name: string }[]).map((entry) => entry.name);
}

/** Kills every process in `ns` (SIGKILL) and deletes it; quiet when it is already gone. */
export function deleteNamespaceSync(ns: string): void {
  let pids: number[];
  try {
    pids = runSync('ip', ['netns', 'pids', ns]).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return; // no such namespace
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // A killed process leaves the namespace only when it is reaped; the namespace is freed once empty,
  // but deleting its name now is safe either way.
  try {
    runSync('ip', ['netns', 'delete', ns]);
  } catch {
    // deleted meanwhile
  }
}

/**
 * Deletes what earlier runs left: by default only runs that are over; with `run`, everything of that
 * run (its own teardown). Returns what it removed, for one line of output.
 */
export function sweepLeftovers(options: { readonly run?: string } = {}): string[] {
  const isTarget = (runId: string): boolean => (options.run !== undefined ? runId === options.run : !runIsLive(runId));
  const removed: string[] = [];
  for (const ns of listNamespaces()) {
    const match = new RegExp(`^${RIG_PREFIX}([0-9a-z]{${RUN_ID_CHARS}})-`).exec(ns);
    if (match === null || !isTarget(match[1] as string)) continue;
    deleteNamespaceSync(ns);
    removed.push(ns);
  }
  const links = JSON.parse(runSync('ip', ['-j', 'link', 'show']) || '[]') as { ifname: string }[];
  for (const { ifname } of links) {
    const match = new RegExp(`^${ROOT_LINK_PREFIX}([0-9a-z]{${RUN_ID_CHARS}})[0-9a-z]{${RIG_ID_CHARS}}$`).exec(ifname);
    if (match === null || !isTarget(match[1] as string)) continue;
    try {
      runSync('ip', ['link', 'delete', ifname]);
      removed.push(ifname);
    } catch {
      // went with its namespace
    }
  }
  for (const entry of readdirSync(tmpdir())) {
    const match = new RegExp(`^${RIG_PREFIX}([0-9a-z]{${RUN_ID_CHARS}})-`).exec(entry);
    if (match === null || !isTarget(match[1] as string)) continue;
    rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    removed.push(join(tmpdir(), entry));
  }
  return removed;
}

/**
 * Why the rig cannot run here, or null when it can: it needs root, network namespaces, veth pairs,
 * a bridge, iptables and tc. Probes by creating (and deleting) a namespace with a veth pair.
 */
export function rigUnavailableReason(runId: string): string | null {
  if (process.platform !== 'linux') return `needs Linux network namespaces (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, veth pairs, iptables)';
  for (const name of ['ip', 'iptables', 'tc']) {
    if (findTool(name) === null) return `${name} is not installed (Debian: apt-get install iproute2 iptables)`;
  }
  const probe = namespaceName(runId, 'prob', 'probe');
  try {
    runSync('ip', ['netns', 'add', probe]);
    runSync('ip', ['-n', probe, 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1']);
    runSync('ip', ['netns', 'exec', probe, tool('iptables'), '-w', '-S']);
    return null;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    return `cannot create network namespaces here: ${(stderr ?? String(error)).trim().split('\n')[0]}`;
  } finally {
    deleteNamespaceSync(probe);
  }
}
