/**
 * Ports for test processes, chosen so that nothing else on the machine takes them between the moment a test picks one
 * and the moment its child process binds it.
 *
 * Why not "bind to port 0 and release it": the OS hands out that port again as the *ephemeral* source port of any
 * outgoing connection, and the tests make thousands (every HTTP call to a node). CI saw a node fail with EADDRINUSE on
 * its HTTP port that way. Ports here come from below the kernel's ephemeral range (net.ipv4.ip_local_port_range,
 * 32768-60999 by default), which outgoing connections never use. Vitest runs files in parallel workers, each in its
 * own process: each worker takes its own slice of the range (by VITEST_POOL_ID), so two workers never pick the same
 * port, and a port is still probed (TCP and UDP) before it is handed out, in case something else holds it.
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const RANGE_START = 20_000;
const SLICE_PORTS = 1_000;
const SLICES = 12;

function ephemeralRangeStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return Number(low);
  } catch {
    return 32_768;
  }
}

function sliceIndex(): number {
  const poolId = Number(process.env['VITEST_POOL_ID']);
  // Outside vitest (benchmarks), the process id spreads concurrent runs over the slices.
  return (Number.isInteger(poolId) && poolId > 0 ? poolId : process.pid) % SLICES;
}

const sliceStart = RANGE_START + sliceIndex() * SLICE_PORTS;
if (sliceStart + SLICE_PORTS > ephemeralRangeStart()) throw new Error(`test ports ${sliceStart}+ overlap the ephemeral port range`);
/** Starts at a random offset so that a rerun in the same worker does not meet a port a killed run left in TIME_WAIT. */
let nextOffset = Math.floor(Math.random() * SLICE_PORTS);
let handedOut = 0;

function tcpFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      done(false);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => done(true)));
  });
}

/** A loopback port free for both TCP and UDP, never handed out twice by this process. */
export async function freeTestPort(): Promise<number> {
  while (handedOut < SLICE_PORTS) {
    const port = sliceStart + (nextOffset % SLICE_PORTS);
    nextOffset++;
    handedOut++;
    if ((await tcpFree(port)) && (await udpFree(port))) return port;
  }
  throw new Error(`no free test port left in ${sliceStart}-${sliceStart + SLICE_PORTS - 1}`);
}
