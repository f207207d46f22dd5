import { describe, expect, it } from 'vitest';
import { bearerToken, cookieValue, isLoopbackHost, makeCredentialCheck, makeHostCheck, makeTokenCheck, dashboardSessionFor, originAllowed } from './http-guard';

describe('http guard', () => {
  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.2', '10.0.0.1', 'example.com', '128.0.0.1', '::ffff:10.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('accepts the bound host and loopback names at the port only', () => {
    const check = makeHostCheck('127.0.0.1', 8080);
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080']) expect(check(host), host).toBe(true);
    for (const host of [undefined, '', '127.0.0.1', '127.0.0.1:80', 'evil.example:8080', '10.0.0.2:8080', '127.0.0.1:8080:1', '[::1]', 'localhost:08080x']) expect(check(host), host).toBe(false);
  });

  it('accepts IP literals (never names) at the port when bound to a wildcard address', () => {
    const check = makeHostCheck('0.0.0.0', 8080);
    expect(check('192.168.1.2:8080')).toBe(true);
    expect(check('[fe80::1]:8080')).toBe(true);
    expect(check('nas.local:8080')).toBe(false);
    expect(check('192.168.1.2:9090')).toBe(false);
    expect(makeHostCheck('192.168.1.2', 8080)('192.168.1.3:8080')).toBe(false);
  });

  it('accepts only the own origin', () => {
    expect(originAllowed(undefined, '127.0.0.1:8080')).toBe(true);
    expect(originAllowed('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true);
    expect(originAllowed('http://localhost:8080', '127.0.0.1:8080')).toBe(false);
    expect(originAllowed('null', '127.0.0.1:8080')).toBe(false);
  });

  it('parses bearer tokens and cookies, and compares tokens', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(cookieValue('a=1; synod_session_1=tok; b=2', 'synod_session_1')).toBe('tok');
    expect(cookieValue('xsynod_session_1=tok', 'synod_session_1')).toBeUndefined();
    const matches = makeTokenCheck('0123456789abcdefgh');
    expect(matches('0123456789abcdefgh')).toBe(true);
    expect(matches('0123456789abcdefgX')).toBe(false);
    expect(matches('0123')).toBe(false);
    expect(matches(undefined)).toBe(false);
  });

  it('derives the dashboard session from the API token: stable with it, never the token itself', () => {
    const session = dashboardSessionFor('api-token-0123456789');
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(dashboardSessionFor('api-token-0123456789')).toBe(session);
    expect(dashboardSessionFor('api-token-0123456780')).not.toBe(session);
    expect(session).not.toContain('api-token');
  });

  it('tells the API token from the dashboard session', () => {
    const credential = makeCredentialCheck('api-token-0123456789', 'session-value-0123456789');
    expect(credential('api-token-0123456789')).toBe('api-token');
    expect(credential('session-value-0123456789')).toBe('dashboard-session');
    expect(credential('api-token-012345678')).toBeNull();
    expect(credential('')).toBeNull();
    expect(credential(undefined)).toBeNull();
  });
});
