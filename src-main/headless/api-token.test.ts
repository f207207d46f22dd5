import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { API_TOKEN_FILE, storedApiToken } from './api-token';

let dir: string | null = null;
afterEach(() => {
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe('the stored API token', () => {
  it('is made once, private to its owner, and the same at every later start', () => {
    dir = mkdtempSync(join(tmpdir(), 'synod-token-'));
    const first = storedApiToken(dir);
    expect(first.created).toBe(true);
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(statSync(join(dir, API_TOKEN_FILE)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, API_TOKEN_FILE), 'utf8')).toBe(`${first.token}\n`);
    expect(storedApiToken(dir)).toEqual({ ...first, created: false });
  });

  it('refuses a file that holds no token, saying how to get a new one', () => {
    dir = mkdtempSync(join(tmpdir(), 'synod-token-'));
    writeFileSync(join(dir, API_TOKEN_FILE), 'short\n');
    expect(() => storedApiToken(dir as string)).toThrow(/does not hold a valid API token .*delete it and a new one is made/);
  });
});
