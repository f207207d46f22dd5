/**
 * Replays every script in testdata/ (see transcript.ts for the format) and compares each step's
 * transcript. UPDATE_TRANSCRIPTS=1 npx vitest run test/transcripts rewrites them: review the diff.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatScript, parseScript, TranscriptCluster } from './transcript';

const DIR = fileURLToPath(new URL('./testdata', import.meta.url));
const UPDATE = process.env['UPDATE_TRANSCRIPTS'] === '1';

describe('core transcripts', () => {
  for (const file of readdirSync(DIR).filter((name) => name.endsWith('.txt'))) {
    it(file, () => {
      const path = join(DIR, file);
      const blocks = parseScript(readFileSync(path, 'utf8'));
      const cluster = new TranscriptCluster();
      const results = blocks.map((block) => ({ ...block, actual: cluster.run(block.command) }));
      if (UPDATE) {
        writeFileSync(path, formatScript(results));
        return;
      }
      for (const { command, expected, actual } of results) expect(actual, `${file}: ${command}`).toBe(expected);
    });
  }
});
