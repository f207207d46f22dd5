#!/usr/bin/env node
// synod-node: the headless Synod replica. Runs the TypeScript sources directly through tsx, so it works
// right after `npm install`, before any build.
import { register } from 'tsx/esm/api';

register();
await import('../src-main/headless/main.ts');
