import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defaultClientConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/** Builds before projects that start real synod-node processes when the build is missing or outdated. */
const BUILT_NODE_SETUP = 'test/support/built-node-setup.ts';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'core',
          environment: 'node',
          include: ['src-main/**/*.test.ts', 'shared/**/*.test.ts', 'scripts/**/*.test.ts', 'test/support/**/*.test.ts', 'test/transcripts/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'sim',
          environment: 'node',
          include: ['test/sim/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        // Real synod-node processes on loopback: slow and CPU-hungry, so one file at a time.
        test: {
          name: 'process',
          environment: 'node',
          include: ['test/process/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
          // They run the built node: build once if out/ is missing or older than the sources.
          globalSetup: [BUILT_NODE_SETUP],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        // Real synod-node processes on several hosts (Linux network namespaces; needs root): one file at a
        // time, after the other projects (its scenarios measure progress under load and need the CPU).
        // The global setup checks once whether the rig can run and clears leftovers of killed runs.
        test: {
          name: 'hosts',
          environment: 'node',
          include: ['test/hosts/**/*.test.ts'],
          globalSetup: [BUILT_NODE_SETUP, 'test/hosts/global-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // The built dashboard in headless Chromium against real processes (needs `npm run build` first).
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: [BUILT_NODE_SETUP],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // Resolve with the browser conditions (['module', 'browser', 'development|production'])
        // so Svelte 5's client runtime is used and `mount` works (the node/SSR build throws).
        // svelteTesting() adds auto-cleanup after each test and keeps @testing-library/svelte
        // processed by the Svelte plugin.
        plugins: [svelte(), svelteTesting()],
        resolve: { conditions: [...defaultClientConditions] },
        test: {
          name: 'renderer',
          environment: 'jsdom',
          include: ['src-renderer/**/*.test.ts'],
        },
      },
    ],
  },
});
