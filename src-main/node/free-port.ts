/** UDP ports on this machine: a free one chosen by the OS, the first free one from a preferred port, and whether a given one is free. */
import { createSocket } from 'node:dgram';

/** Binds `port` on `host` (0: any) and releases it; resolves to the port bound, or rejects with the bind error. */
async function bindAndRelease(host: string, port: number): Promise<number> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((done, fail) => {
      socket.once('error', fail);
      socket.bind(port, host, () => done());
    });
    return socket.address().port;
  } finally {
    await new Promise<void>((done) => {
      try {
        socket.close(() => done());
      } catch {
        done(); // never bound: nothing to close
      }
    });
  }
}

export async function freeUdpPort(host = '0.0.0.0'): Promise<number> {
  return bindAndRelease(host, 0);
}

/** Why `port` cannot be bound on `host` now, in words, or null when it can. */
export async function udpPortProblem(host: string, port: number): Promise<string | null> {
  try {
    await bindAndRelease(host, port);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') return `UDP port ${port} is in use by another program on this machine`;
    if (code === 'EACCES') return `this program may not use UDP port ${port} (ports below 1024 need administrator rights)`;
    return `UDP port ${port} cannot be used: ${(error as Error).message}`;
  }
}

/**
 * `preferred` if it is free on `host`, else the next free one of the `attempts` ports after it, else one
 * the OS picks: a person is told to open the preferred port, so stray from it as little as possible.
 */
export async function preferredUdpPort(preferred: number, host = '0.0.0.0', attempts = 100): Promise<number> {
  for (let port = preferred; port < preferred + attempts && port <= 65_535; port++) {
    if ((await udpPortProblem(host, port)) === null) return port;
  }
  return freeUdpPort(host);
}
