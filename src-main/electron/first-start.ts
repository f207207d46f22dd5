/**
 * The desktop app's configuration on first start: a one-node cluster with a generated id, the user's
 * name, a free UDP port and a fresh secret, so a new user can tweet at once. The Peers page turns it
 * into a cluster later. The port is chosen once and kept, so peers can rely on it.
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { freeUdpPort } from '../node/free-port';
import type { SavedConfig } from '../node/node-host';

/** A readable, unique-enough node id: the user's name (letters and digits) and a random suffix. */
export function generatedNodeId(userName: string, random: Uint8Array = randomBytes(3)): string {
  const base = userName.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20) || 'user';
  return `${base}-${Buffer.from(random).toString('hex')}`;
}

export async function firstStartConfig(): Promise<SavedConfig> {
  let user = 'user';
  try {
    user = userInfo().username;
  } catch {
    // No user name available (some sandboxes): keep the default.
  }
  return {
    id: generatedNodeId(user),
    name: user.slice(0, 40) || 'Me',
    listen: { host: '0.0.0.0', port: await freeUdpPort() },
    peers: [],
    secret: randomBytes(24).toString('base64url'),
  };
}
