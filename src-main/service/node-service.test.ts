import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, MAX_CRASH_DOWN_MS, MIN_CRASH_DOWN_MS, type SynodApi, type SynodEvent } from '../../shared/api';
import { MAX_CRASH_DOWN_MS as MEMBER_MAX_CRASH_DOWN_MS, MIN_CRASH_DOWN_MS as MEMBER_MIN_CRASH_DOWN_MS } from '../node/control-check';
import { decodeInviteCode } from '../../shared/invite-code';
import { NodeHost } from '../node/node-host';
import { createNodeService } from './node-service';

let root: string | null = null;
let host: NodeHost | null = null;
afterEach(async () => {
  await host?.stop();
  host = null;
  if (root !== null) rmSync(root, { recursive: true, force: true });
  root = null;
});

/** A one-node cluster without a configuration file (as synod-node runs), and its API. */
async function service(): Promise<SynodApi> {
  root = mkdtempSync(join(tmpdir(), 'synod-service-'));
  host = await NodeHost.start({ id: 'me', name: 'Me', dataDir: join(root, 'data'), listen: { host: '127.0.0.1', port: 0 }, peers: new Map(), secret: 'the cluster secret' });
  return createNodeService(host);
}

const failure = (promise: Promise<unknown>): Promise<ApiError> => promise.then(
  () => {
    throw new Error('expected a failure');
  },
  (error: unknown) => {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  },
);

describe('the node service', () => {
  it('shows the node as the API: status, peers, configuration, invite code, events', async () => {
    const api = await service();
    const events: SynodEvent[] = [];
    api.subscribe((event) => events.push(event));
    const receipt = await api.tweet({ text: 'hello' });

    const status = await api.status();
    expect(status).toMatchObject({ id: 'me', name: 'Me', role: 'leader', leader: 'me', peers: [], warnings: [], membership: { members: [{ id: 'me' }], isMember: true, pending: null, joining: null } });
    expect(status.appliedIndex).toBeGreaterThanOrEqual(receipt.slot);
    expect(status.ballot).toEqual({ round: expect.any(Number) as number, node: 'me' });
    expect(await api.peers()).toEqual([]);

    const port = Number(status.address.split(':')[1]);
    expect(await api.config()).toEqual({ id: 'me', name: 'Me', address: status.address, peers: [], editable: false, note: expect.stringMatching(/command line/) as string, hasHistory: true, port, portNote: null });
    const invite = await api.inviteCode();
    expect(invite.addresses).toEqual([status.address]);
    expect(decodeInviteCode(invite.code)).toEqual({ ok: true, invite: { addresses: [status.address], secret: 'the cluster secret' } });

    expect(events).toContainEqual({ type: 'chosen', fromSlot: receipt.slot, toSlot: receipt.slot });
    await expect.poll(() => events.find((event) => event.type === 'status'), { timeout: 3_000 }).toMatchObject({ status: { id: 'me', membership: { isMember: true } } });
  });

  it("refuses with the API's codes", async () => {
    const api = await service();
    await api.tweet({ text: 'history of its own' });
    expect(await failure(api.removeMember({ id: 'me' }))).toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/last member/) as string });
    expect(await failure(api.removeMember({ id: 'nobody' }))).toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/not a member/) as string });
    expect(await failure(api.updateConfig({ name: 'Other' }))).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/command line/) as string });
    expect(await failure(api.join({ address: '127.0.0.1:9', secret: 'another cluster secret' }))).toMatchObject({ code: 'needs-confirmation', message: expect.stringMatching(/history of its own/) as string });
    expect(await failure(api.block({ user: 'nobody' }))).toMatchObject({ code: 'invalid-argument' });
    expect(await failure(api.tweet({ text: 42 } as unknown as { text: string }))).toMatchObject({ code: 'invalid-argument' });
  });
});

describe('the API\'s bounds', () => {
  it('on crashMember are the members\' (the dashboard never asks what members refuse)', () => {
    expect([MIN_CRASH_DOWN_MS, MAX_CRASH_DOWN_MS]).toEqual([MEMBER_MIN_CRASH_DOWN_MS, MEMBER_MAX_CRASH_DOWN_MS]);
  });
});
