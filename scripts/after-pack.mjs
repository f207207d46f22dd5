// @ts-check
// electron-builder's afterPack hook (electron-builder.yml): flips the Electron fuses of the packaged
// app. Fuses are bits in the Electron binary itself that no command line or environment can turn back;
// they switch off ways to run arbitrary code with this app's identity and permissions. This runs
// after packing and before electron-builder signs the app (a signature covers the flipped bits).
//   RunAsNode off                              ELECTRON_RUN_AS_NODE=1 would make the app a plain Node.js
//   EnableNodeOptionsEnvironmentVariable off   NODE_OPTIONS (--require a script) is ignored
//   EnableNodeCliInspectArguments off          --inspect and SIGUSR1 open no debugger
//   EnableEmbeddedAsarIntegrityValidation on   app.asar must match the hash electron-builder embeds (macOS, Windows)
//   OnlyLoadAppFromAsar on                     the app loads from app.asar only, never from a loose folder
//   EnableCookieEncryption on                  the cookie store on disk is encrypted with the OS's keys
import { flipFuses, FuseV1Options, FuseVersion } from '@electron/fuses';
import { join } from 'node:path';

/**
 * The fuse configuration for a platform. Flipping fuses breaks the ad-hoc signature every macOS arm64
 * binary needs, so on macOS the binary is signed ad hoc again (a real identity signs it after this).
 * @param {string} electronPlatformName
 * @returns {import('@electron/fuses').FuseConfig}
 */
export function fuseConfig(electronPlatformName) {
  return {
    version: FuseVersion.V1,
    resetAdHocDarwinSignature: electronPlatformName === 'darwin' || electronPlatformName === 'mas',
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
    [FuseV1Options.EnableCookieEncryption]: true,
  };
}

/**
 * The packaged Electron binary (the .app bundle on macOS), where electron-builder itself looks for it.
 * @param {import('app-builder-lib').AfterPackContext} context
 * @returns {string}
 */
export function electronBinaryPath(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') return join(appOutDir, `${packager.appInfo.productFilename}.app`);
  if (electronPlatformName === 'win32') return join(appOutDir, `${packager.appInfo.productFilename}.exe`);
  return join(appOutDir, /** @type {import('app-builder-lib').LinuxPackager} */ (packager).executableName);
}

/**
 * A build whose fuses cannot be flipped fails: an app that should have them must not ship without.
 * @param {import('app-builder-lib').AfterPackContext} context
 * @returns {Promise<void>}
 */
export default async function afterPack(context) {
  await flipFuses(electronBinaryPath(context), fuseConfig(context.electronPlatformName));
}
