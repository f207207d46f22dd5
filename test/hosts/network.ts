/**
 * The rig's network: hosts, each a Linux network namespace with its own stack, interface and address,
 * joined by a bridge that nothing else reaches. All addresses are in the benchmarking range
 * 198.18.0.0/15 and no namespace has a default route, so no datagram can leave the rig.
 *
 *   switch namespace:  bridge `data`  (the hosts' network, 198.18.0.0/16)
 *                      bridge `mgmt`  (management: the test process reaches each node's HTTP API here)
 *   host hN (LAN):     eth0 198.18.0.(10+N) on `data`; mgmt0 198.19.M.(10+N) on `mgmt` (no UDP in)
 *   host hN behind a router (routed or NAT):
 *                      eth0 198.19.N.2 on a private link to router rN (198.19.N.1), whose eth0
 *                      198.18.1.N is on `data`; the private link may be narrow (MTU, tbf rate)
 *   test process:      root-namespace end of a veth on `mgmt`, 198.19.M.1/24 (M free in this
 *                      namespace, so concurrent runs do not collide)
 *
 * Faults live where a real network puts them: partitions are iptables rules in the receiving host
 * (datagrams are sent and vanish, like on a cut cable); NAT is MASQUERADE in the router with other
 * ports; a narrow link is an MTU on the private link (the router answers "fragmentation needed", as
 * path MTU discovery expects) and tbf on both of its ends. Management traffic never crosses a fault.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { CommandScript, deleteNamespaceSync, namespaceName, newRigId, rigTempDir, rootLinkName, run, runIn } from './netns';

export type Placement =
  /** Directly on the hosts' bridge. */
  | { readonly kind: 'lan' }
  /** Behind its own router, over a private link with this MTU and rate (default: 1500, unlimited). */
  | { readonly kind: 'routed'; readonly mtu?: number; readonly rateKbit?: number }
  /** Behind a router that translates its address and port (MASQUERADE): peers never see its own. */
  | { readonly kind: 'nat' };

export interface HostSpec {
  readonly name: string;
  readonly placement?: Placement;
}

export interface RigHost {
  readonly name: string;
  readonly ns: string;
  readonly placement: Placement;
  /** Its own interface address (what it is listed at); moves with moveAddress(). */
  address: string;
  /** Where the test process reaches it. */
  readonly mgmtAddress: string;
  /** Its router's namespace and public address, when it is behind one. */
  readonly router: { readonly ns: string; readonly address: string } | null;
}

const DATA_PREFIX_LENGTH = 16;
const FILTER_CHAIN = 'synod-rig';
const NAT_PORTS = '40000-40999';
/** A queue of this many milliseconds at the link's rate: a slow link's buffer, not a black hole. */
const TBF_LATENCY_MS = 300;

const lanAddress = (index: number): string => `198.18.0.${10 + index}`;
const routerAddress = (index: number): string => `198.18.1.${index}`;
const privateNet = (index: number): string => `198.19.${index}`;

export class RigNetwork {
  readonly hosts: RigHost[] = [];
  /** Every namespace created so far (hosts, routers, the switch), for destroy(). */
  private readonly namespaces: string[] = [];

  private constructor(
    readonly runId: string,
    readonly rigId: string,
    /** Data directories and secrets of this rig's nodes. */
    readonly dir: string,
    private readonly switchNs: string,
    private readonly mgmtNet: string,
  ) {}

  /** Builds the network for `specs` (names h1.., at most 9 hosts); on failure removes what it built. */
  static async create(runId: string, specs: readonly HostSpec[]): Promise<RigNetwork> {
    if (specs.length > 9) throw new Error('at most 9 hosts');
    const rigId = newRigId();
    const network = new RigNetwork(runId, rigId, rigTempDir(runId, rigId), namespaceName(runId, rigId, 'switch'), `198.19.${await freeManagementNet()}`);
    try {
      await network.build(specs);
    } catch (error) {
      network.destroy();
      throw error;
    }
    return network;
  }

  host(name: string): RigHost {
    const host = this.hosts.find((candidate) => candidate.name === name);
    if (host === undefined) throw new Error(`no host ${name}`);
    return host;
  }

  /** The address peers see `host`'s datagrams come from. */
  seenAddress(host: RigHost): string {
    return host.placement.kind === 'nat' && host.router !== null ? host.router.address : host.address;
  }

  /** From now on, nothing `from` sends reaches `to` (one direction: `from` still hears `to`). */
  async cut(from: RigHost, to: RigHost): Promise<void> {
    await runIn(to.ns, 'iptables', ['-w', '-A', FILTER_CHAIN, '-s', this.seenAddress(from), '-j', 'DROP']);
  }

  /** Both directions between every host of `side` and every host of `other`. */
  async partition(side: readonly RigHost[], other: readonly RigHost[]): Promise<void> {
    for (const a of side) {
      for (const b of other) {
        await this.cut(a, b);
        await this.cut(b, a);
      }
    }
  }

  /** Removes every cut. */
  async heal(): Promise<void> {
    for (const host of this.hosts) await runIn(host.ns, 'iptables', ['-w', '-F', FILTER_CHAIN]);
  }

  /**
   * Gives a LAN host a new address while its processes run, as a laptop gets from a new network: the
   * new address is added, then the old one removed (the new one takes over as primary, so sockets
   * bound to 0.0.0.0 send from it at once).
   */
  async moveAddress(host: RigHost, newAddress: string): Promise<void> {
    if (host.placement.kind !== 'lan') throw new Error(`${host.name} is behind a router`);
    await run('ip', ['-n', host.ns, 'addr', 'add', `${newAddress}/${DATA_PREFIX_LENGTH}`, 'dev', 'eth0']);
    await run('ip', ['-n', host.ns, 'addr', 'del', `${host.address}/${DATA_PREFIX_LENGTH}`, 'dev', 'eth0']);
    host.address = newAddress;
  }

  /** The MTU `from`'s kernel learned for the path to `to` (path MTU discovery), or null if none. */
  async learnedPathMtu(from: RigHost, to: RigHost): Promise<number | null> {
    const route = await run('ip', ['-n', from.ns, 'route', 'get', to.address]);
    const match = /\bmtu (\d+)/.exec(route);
    return match === null ? null : Number(match[1]);
  }

  /** What the rate limiter towards `host` (its router's end of the private link) has sent so far. */
  async shapedTowards(host: RigHost): Promise<{ sentBytes: number; overlimits: number }> {
    if (host.router === null) throw new Error(`${host.name} has no private link`);
    const qdiscs = JSON.parse(await run('tc', ['-n', host.router.ns, '-s', '-j', 'qdisc', 'show', 'dev', 'lan0'])) as { kind: string; bytes?: number; overlimits?: number }[];
    const tbf = qdiscs.find((qdisc) => qdisc.kind === 'tbf');
    if (tbf === undefined) throw new Error(`the link to ${host.name} has no rate limit`);
    return { sentBytes: tbf.bytes ?? 0, overlimits: tbf.overlimits ?? 0 };
  }

  /** Kills every process still in the rig's namespaces and deletes them, the uplink and the temp dir. */
  destroy(): void {
    // Veth pairs die with either end's namespace: the uplink and every host's links go with the switch.
    for (const ns of this.namespaces) deleteNamespaceSync(ns);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private addNamespace(script: CommandScript, ns: string): void {
    this.namespaces.push(ns);
    script.add('ip', ['netns', 'add', ns]);
    script.add('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  /** A veth pair `name` in `ns` <-> `port` in the switch, enslaved to `bridge` and up on both ends. */
  private plug(script: CommandScript, ns: string, name: string, bridge: string, port: string): void {
    script.add('ip', ['link', 'add', name, 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', this.switchNs]);
    script.add('ip', ['-n', this.switchNs, 'link', 'set', port, 'master', bridge, 'up']);
    script.add('ip', ['-n', ns, 'link', 'set', name, 'up']);
  }

  private async build(specs: readonly HostSpec[]): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const script = new CommandScript();
    this.addNamespace(script, this.switchNs);
    for (const bridge of ['data', 'mgmt']) {
      script.add('ip', ['-n', this.switchNs, 'link', 'add', bridge, 'type', 'bridge']);
      script.add('ip', ['-n', this.switchNs, 'link', 'set', bridge, 'up']);
    }
    const uplink = rootLinkName(this.runId, this.rigId);
    script.add('ip', ['link', 'add', uplink, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', this.switchNs]);
    script.add('ip', ['-n', this.switchNs, 'link', 'set', 'uplink', 'master', 'mgmt', 'up']);
    script.add('ip', ['addr', 'add', `${this.mgmtNet}.1/24`, 'dev', uplink]);
    script.add('ip', ['link', 'set', uplink, 'up']);

    for (const [i, spec] of specs.entries()) this.hosts.push(this.addHost(script, i + 1, spec));
    // Routes to the private links of routed hosts, from every other host (or its router).
    for (const [i, host] of this.hosts.entries()) {
      if (host.placement.kind !== 'routed' || host.router === null) continue;
      for (const other of this.hosts) {
        if (other !== host) script.add('ip', ['-n', other.router?.ns ?? other.ns, 'route', 'add', `${privateNet(i + 1)}.0/24`, 'via', host.router.address]);
      }
    }
    await script.run();
  }

  private addHost(script: CommandScript, index: number, spec: HostSpec): RigHost {
    const placement = spec.placement ?? { kind: 'lan' };
    const ns = namespaceName(this.runId, this.rigId, spec.name);
    this.addNamespace(script, ns);
    // Removing the primary address promotes the next one instead of flushing it (moveAddress).
    script.addIn(ns, 'sh', ['-c', 'echo 1 > /proc/sys/net/ipv4/conf/all/promote_secondaries']);
    script.addIn(ns, 'iptables', ['-w', '-N', FILTER_CHAIN]);
    script.addIn(ns, 'iptables', ['-w', '-I', 'INPUT', '-j', FILTER_CHAIN]);
    const mgmtAddress = `${this.mgmtNet}.${10 + index}`;
    this.plug(script, ns, 'mgmt0', 'mgmt', `m${index}`);
    script.add('ip', ['-n', ns, 'addr', 'add', `${mgmtAddress}/24`, 'dev', 'mgmt0']);
    // The management network carries the test's HTTP only: a peer (or a join) that tries a host's
    // management address, listed in an invite code like any address of the machine, gets no answer.
    script.addIn(ns, 'iptables', ['-w', '-A', 'INPUT', '-i', 'mgmt0', '-p', 'udp', '-j', 'DROP']);

    if (placement.kind === 'lan') {
      this.plug(script, ns, 'eth0', 'data', `d${index}`);
      script.add('ip', ['-n', ns, 'addr', 'add', `${lanAddress(index)}/${DATA_PREFIX_LENGTH}`, 'dev', 'eth0']);
      // Without a default route, multicast (LAN discovery) needs its own; it stays on the bridge.
      script.add('ip', ['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0']);
      return { name: spec.name, ns, placement, address: lanAddress(index), mgmtAddress, router: null };
    }

    const routerNs = namespaceName(this.runId, this.rigId, `r${index}`);
    this.addNamespace(script, routerNs);
    this.plug(script, routerNs, 'eth0', 'data', `d${index}`);
    script.add('ip', ['-n', routerNs, 'addr', 'add', `${routerAddress(index)}/${DATA_PREFIX_LENGTH}`, 'dev', 'eth0']);
    script.addIn(routerNs, 'sh', ['-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
    // The private link: host eth0 <-> router lan0.
    const net = privateNet(index);
    script.add('ip', ['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', 'lan0', 'netns', routerNs]);
    const ends: [string, string][] = [
      [ns, 'eth0'],
      [routerNs, 'lan0'],
    ];
    for (const [where, dev] of ends) {
      if (placement.kind === 'routed' && placement.mtu !== undefined) script.add('ip', ['-n', where, 'link', 'set', dev, 'mtu', String(placement.mtu)]);
      if (placement.kind === 'routed' && placement.rateKbit !== undefined) {
        script.add('tc', ['-n', where, 'qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', `${placement.rateKbit}kbit`, 'burst', '16kb', 'latency', `${TBF_LATENCY_MS}ms`]);
      }
    }
    script.add('ip', ['-n', ns, 'addr', 'add', `${net}.2/24`, 'dev', 'eth0']);
    script.add('ip', ['-n', routerNs, 'addr', 'add', `${net}.1/24`, 'dev', 'lan0']);
    for (const [where, dev] of ends) script.add('ip', ['-n', where, 'link', 'set', dev, 'up']);
    // Everything else in the rig is behind the router (the more specific mgmt and private routes win).
    script.add('ip', ['-n', ns, 'route', 'add', '198.18.0.0/15', 'via', `${net}.1`]);
    if (placement.kind === 'nat') {
      script.addIn(routerNs, 'iptables', ['-w', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'eth0', '-s', `${net}.0/24`, '-p', 'udp', '-j', 'MASQUERADE', '--to-ports', NAT_PORTS]);
    }
    return { name: spec.name, ns, placement, address: `${net}.2`, mgmtAddress, router: { ns: routerNs, address: routerAddress(index) } };
  }
}

/** A third octet M for 198.19.M.0/24 that no route of the root namespace uses yet. */
async function freeManagementNet(): Promise<number> {
  const routes = JSON.parse(await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) as { dst: string }[];
  const used = new Set(routes.map((route) => route.dst));
  for (let octet = 200; octet <= 254; octet++) if (!used.has(`198.19.${octet}.0/24`) && !used.has(`198.19.${octet}.1`)) return octet;
  throw new Error('no free management subnet 198.19.200-254.0/24: leftover rigs? (see test/hosts/netns.ts)');
}
