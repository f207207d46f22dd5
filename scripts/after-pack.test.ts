import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FuseV1Options, FuseVersion, flipFuses } from '@electron/fuses';
import type { AfterPackContext } from 'app-builder-lib';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import afterPack from './after-pack.mjs';

vi.mock('@electron/fuses', async (importOriginal) => ({ ...(await importOriginal<typeof import('@electron/fuses')>()), flipFuses: vi.fn(() => Promise.resolve(0)) }));

const ROOT = resolve(import.meta.dirname, '..');

function context(electronPlatformName: string): AfterPackContext {
  // Only what the hook reads: where the app was packed and how its binary is named.
  const packager = { appInfo: { productFilename: 'Synod' }, executableName: 'synod' };
  return { appOutDir: '/build/out', electronPlatformName, packager } as unknown as AfterPackContext;
}

const HARDENED = {
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.EnableCookieEncryption]: true,
};

beforeEach(() => vi.mocked(flipFuses).mockClear());

describe('the afterPack hook', () => {
  it('flips the fuses of the packaged binary on every platform', async () => {
    const cases = [
      ['linux', join('/build/out', 'synod'), false],
      ['win32', join('/build/out', 'Synod.exe'), false],
      ['darwin', join('/build/out', 'Synod.app'), true],
      ['mas', join('/build/out', 'Synod.app'), true],
    ] as const;
    for (const [platform, binary, resetAdHocDarwinSignature] of cases) {
      vi.mocked(flipFuses).mockClear();
      await afterPack(context(platform));
      expect(vi.mocked(flipFuses).mock.calls, platform).toEqual([[binary, { version: FuseVersion.V1, resetAdHocDarwinSignature, ...HARDENED }]]);
    }
  });

  it('fails the build when the fuses cannot be flipped', async () => {
    vi.mocked(flipFuses).mockRejectedValueOnce(new Error('the fuse wire in this version of Electron is not long enough'));
    await expect(afterPack(context('linux'))).rejects.toThrow(/fuse wire/);
  });

  it('is the afterPack hook of electron-builder.yml, and electron-builder can load it', async () => {
    expect(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')).toMatch(/^afterPack: \.\/scripts\/after-pack\.mjs$/m);
    // The resolver electron-builder itself uses for hooks, from the repository root as `npm run dist` runs.
    const { resolveFunction } = createRequire(import.meta.url)('app-builder-lib/out/util/resolve') as {
      resolveFunction: (type: string, executor: string, name: string, rootSearchDir: string) => Promise<unknown>;
    };
    expect(process.cwd()).toBe(ROOT);
    const hook = await resolveFunction('afterPack', './scripts/after-pack.mjs', 'afterPack', ROOT);
    // Loaded natively (not through vitest), so another instance of the same function.
    expect(typeof hook === 'function' && hook.name).toBe('afterPack');
  });
});
