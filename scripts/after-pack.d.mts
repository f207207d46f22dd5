// Types of after-pack.mjs for the TypeScript that imports it (its test).
import type { FuseConfig } from '@electron/fuses';
import type { AfterPackContext } from 'app-builder-lib';

export function fuseConfig(electronPlatformName: string): FuseConfig;
export function electronBinaryPath(context: AfterPackContext): string;
export default function afterPack(context: AfterPackContext): Promise<void>;
