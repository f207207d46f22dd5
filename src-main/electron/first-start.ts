/**
 * The desktop app's configuration on first start: a one-node cluster with a generated id, the user's
 * name, UDP port 7400 and a fresh secret, so a new user can tweet at once. The Peers page turns it into
 * a cluster later. The port is the one README tells people to open in their firewall; when another
 * program holds it, the next free one is taken and the Peers page says so. It is kept from then on, so
 * peers can rely on it (the user can change it on the Peers page).
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { DEFAULT_UDP_PORT } from '../../shared/api';
import { preferredUdpPort } from '../node/free-port';
import type { SavedConfig } from '../node/node-host';

/** A readable, unique-enough node id: the user's name (letters and digits) and a random suffix. */
export function generatedNodeId(userName: string, random: Uint8Array = randomBytes(3)): string {
  const base = userName.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20) || 'user';
  return `${base}-${Buffer.from(random).toString('hex')}`;
}

/** What the Peers page says when the usual port was taken at first start. */
export function portTakenNote(port: number): string {
  return `UDP port ${DEFAULT_UDP_PORT}, Synod's usual port, was in use by another program when Synod first started here, so this node took ${port}. Open ${port} in the firewall instead of ${DEFAULT_UDP_PORT}, or change the port here.`;
}

export async function firstStartConfig(choosePort: () => Promise<number> = () => preferredUdpPort(DEFAULT_UDP_PORT)): Promise<SavedConfig> {
  let user = 'user';
  try {
    user = userInfo().username;
  } catch {
    // No user name available (some sandboxes): keep the default.
  }
  const port = await choosePort();
  return {
    id: generatedNodeId(user),
    name: user.slice(0, 40) || 'Me',
    listen: { host: '0.0.0.0', port },
    peers: [],
    secret: randomBytes(24).toString('base64url'),
    portNote: port === DEFAULT_UDP_PORT ? null : portTakenNote(port),
    discover: true,
  };
}
