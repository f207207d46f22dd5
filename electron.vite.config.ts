import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

const root = import.meta.dirname;

/**
 * The dev server injects component CSS as <style> elements (HMR), which the
 * strict CSP in index.html blocks. Relax style-src for `electron-vite dev` only;
 * production builds keep `style-src 'self'`.
 */
function devServerCsp(): Plugin {
  return {
    name: 'synod:dev-server-csp',
    apply: 'serve',
    transformIndexHtml(html) {
      return html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");
    },
  };
}

export default defineConfig({
  // Node-side code, two entries: the Electron main process (out/main/index.js) and the headless
  // replica synod-node (out/main/headless.js, started by bin/synod-node.mjs under plain Node). Target
  // node20 (not Electron's bundled Node) so the output runs under both. Code both use goes to shared
  // chunks (out/main/chunks/); `electron` is imported only by src-main/electron/ (and the preload), so
  // it never reaches headless.js or a shared chunk (ESLint forbids it elsewhere in src-main and shared;
  // test/process/cli.test.ts checks the built files).
  // package.json "type": "module" => ESM output.
  main: {
    build: {
      target: 'node20',
      outDir: resolve(root, 'out/main'),
      // dependencies (sql.js, ...) stay external and load from node_modules: sql.js finds its wasm file
      // next to its own JavaScript, wherever the bundle is.
      externalizeDeps: true,
      rolldownOptions: {
        input: {
          index: resolve(root, 'src-main/electron/main.ts'),
          headless: resolve(root, 'src-main/headless/main.ts'),
          // The checkpoint builder's worker thread, loaded by both entries from beside them
          // (storage/checkpoint-builder.ts).
          'checkpoint-worker': resolve(root, 'src-main/storage/checkpoint-worker.ts'),
        },
      },
    },
  },
  // Sandboxed preloads must be a single CommonJS file: bundle everything
  // (except `electron`, which electron-vite always externalizes).
  preload: {
    build: {
      target: 'node20',
      outDir: resolve(root, 'out/preload'),
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'src-main/preload.ts') },
        output: {
          format: 'cjs',
          entryFileNames: '[name].cjs',
          chunkFileNames: 'chunks/[name]-[hash].cjs',
        },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    build: {
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: {
        input: { index: resolve(root, 'src-renderer/index.html') },
      },
    },
    // root is src-renderer, so point the plugin at the repo-level svelte.config.js.
    plugins: [svelte({ configFile: resolve(root, 'svelte.config.js') }), devServerCsp()],
  },
});
