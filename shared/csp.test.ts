import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RENDERER_CSP, RENDERER_CSP_HEADER } from './csp';

describe('RENDERER_CSP', () => {
  it('is exactly the policy in src-renderer/index.html', () => {
    const html = readFileSync(new URL('../src-renderer/index.html', import.meta.url), 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html);
    expect(meta?.[1]).toBe(RENDERER_CSP);
  });

  it('forbids framing in the header form', () => {
    expect(RENDERER_CSP_HEADER.startsWith(RENDERER_CSP)).toBe(true);
    expect(RENDERER_CSP_HEADER).toContain("frame-ancestors 'none'");
  });
});
