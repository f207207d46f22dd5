/** A free UDP port on `host`, chosen by the OS (bind to port 0, read it, release it). */
import { createSocket } from 'node:dgram';

export async function freeUdpPort(host = '0.0.0.0'): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((done, fail) => {
    socket.once('error', fail);
    socket.bind(0, host, () => done());
  });
  const { port } = socket.address();
  await new Promise<void>((done) => socket.close(() => done()));
  return port;
}
