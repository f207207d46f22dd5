#!/usr/bin/env node
// `npm start`: check that Electron can run here, build the app (`electron-vite build`), launch it.
// The `electron` package fetches its binary from the internet on first use. Where that is impossible
// (an offline machine, a locked-down CI), say so in one clear message before spending time on a build.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function electronBinary() {
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (probe.status === 0 && probe.stdout) return { path: probe.stdout };
  // The download's own failure ("fetch failed", "ENOTFOUND ...") says more than the wrapper's advice.
  const lines = (probe.stderr || probe.error?.message || '').split('\n').map((l) => l.trim());
  const reason = lines.find((l) => /^(\w*Error|fetch failed|getaddrinfo|connect )/.test(l)) ?? lines.find(Boolean) ?? 'unknown error';
  return { error: reason };
}

const binary = electronBinary();
if (binary.error !== undefined) {
  console.error(
    [
      '',
      'Synod: the Electron binary is not available on this machine, so the desktop window cannot open.',
      `  (${binary.error})`,
      'Electron downloads its binary from the internet on first start; this machine could not fetch it.',
      'The same replica and the same dashboard run without it, in your browser:',
      '  npm run node     one node (a one-node cluster); it prints its dashboard address',
      '  npm run demo     a 3-node cluster on this machine, with the three dashboard URLs',
      '  npx synod-node --help   the headless node and all its options',
      '',
    ].join('\n'),
  );
  process.exit(1);
}

const build = spawnSync(process.execPath, [resolve(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const child = spawn(binary.path, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
