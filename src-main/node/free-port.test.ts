import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { freeUdpPort, preferredUdpPort, udpPortProblem } from './free-port';

const held: Socket[] = [];

async function hold(port: number): Promise<void> {
  const socket = createSocket('udp4');
  held.push(socket);
  await new Promise<void>((done, fail) => {
    socket.once('error', fail);
    socket.bind(port, '127.0.0.1', () => done());
  });
}

afterEach(async () => {
  await Promise.all(held.splice(0).map((socket) => new Promise<void>((done) => socket.close(() => done()))));
});

/** Two free ports in a row, so a test can hold the first and expect the second. */
async function twoFreePorts(): Promise<number> {
  for (;;) {
    const port = await freeUdpPort('127.0.0.1');
    if (port < 65_535 && (await udpPortProblem('127.0.0.1', port + 1)) === null) return port;
  }
}

describe('UDP ports', () => {
  it('keeps the preferred port when it is free', async () => {
    const port = await twoFreePorts();
    expect(await preferredUdpPort(port, '127.0.0.1')).toBe(port);
  });

  it('takes the next free port when the preferred one is taken, and says why a taken port cannot be used', async () => {
    const port = await twoFreePorts();
    await hold(port);
    expect(await udpPortProblem('127.0.0.1', port)).toBe(`UDP port ${port} is in use by another program on this machine`);
    expect(await preferredUdpPort(port, '127.0.0.1')).toBe(port + 1);
  });

  it('lets the OS pick when every port tried is taken', async () => {
    const port = await twoFreePorts();
    await hold(port);
    const picked = await preferredUdpPort(port, '127.0.0.1', 1);
    expect(picked).not.toBe(port);
    expect(await udpPortProblem('127.0.0.1', picked)).toBeNull();
  });
});
