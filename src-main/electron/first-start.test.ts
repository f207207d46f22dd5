import { describe, expect, it } from 'vitest';
import { firstStartConfig, generatedNodeId, portTakenNote } from './first-start';

describe('the first start of the desktop app', () => {
  it('is a one-node cluster on UDP port 7400, the one README says to open, with a fresh secret and discovery on', async () => {
    const asked: string[] = [];
    const config = await firstStartConfig(async () => {
      asked.push('port');
      return 7400;
    });
    expect(asked).toEqual(['port']);
    expect(config).toMatchObject({ listen: { host: '0.0.0.0', port: 7400 }, peers: [], portNote: null, discover: true });
    expect(config.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(config.id).toMatch(/^[a-z0-9]+-[0-9a-f]{6}$/);
  });

  it('says plainly which port it took when 7400 was in use', async () => {
    const config = await firstStartConfig(async () => 7401);
    expect(config).toMatchObject({ listen: { port: 7401 }, portNote: portTakenNote(7401) });
    expect(config.portNote).toBe("UDP port 7400, Synod's usual port, was in use by another program when Synod first started here, so this node took 7401. Open 7401 in the firewall instead of 7400, or change the port here.");
  });

  it('makes readable node ids', () => {
    expect(generatedNodeId('Ann Smith', Uint8Array.from([1, 2, 3]))).toBe('annsmith-010203');
    expect(generatedNodeId('Ωμέγα', Uint8Array.from([1, 2, 3]))).toBe('user-010203');
  });
});
