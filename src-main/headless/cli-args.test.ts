import { describe, expect, it } from 'vitest';
import { encodeInviteCode } from '../../shared/invite-code';
import { httpExposureWarning, parseCli, USAGE } from './cli-args';

const run = (argv: string[], env: Record<string, string> = {}) => {
  const parsed = parseCli(argv, env);
  if (parsed.kind !== 'run') throw new Error(`expected run, got ${JSON.stringify(parsed)}`);
  return parsed.options;
};
const error = (argv: string[], env: Record<string, string> = {}): string => {
  const parsed = parseCli(argv, env);
  if (parsed.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(parsed)}`);
  return parsed.message;
};

describe('synod-node arguments', () => {
  it('a one-node cluster needs only an id and a data directory', () => {
    const options = run(['--id', 'n1', '--data', '/tmp/n1']);
    expect(options).toMatchObject({ id: 'n1', dataDir: '/tmp/n1', listen: { host: '0.0.0.0', port: 7400 }, secret: { kind: 'generate' }, http: null });
    expect(options.peers.size).toBe(0);
  });

  it('parses a full cluster member', () => {
    const options = run(
      ['--id', 'n1', '--data', 'd', '--listen', '127.0.0.1:7401', '--peer', 'n2=127.0.0.1:7402', '--peer', 'n3=[::1]:7403', '--http', '8081', '--name', 'Ann', '--tick-ms', '20'],
      { SYNOD_SECRET: 'correct horse battery', SYNOD_TOKEN: 'token-of-sixteen-chars' },
    );
    expect(options.peers).toEqual(
      new Map([
        ['n2', { host: '127.0.0.1', port: 7402 }],
        ['n3', { host: '::1', port: 7403 }],
      ]),
    );
    expect(options).toMatchObject({ http: { host: '127.0.0.1', port: 8081 }, name: 'Ann', tickMs: 20, token: 'token-of-sixteen-chars', secret: { kind: 'value', value: 'correct horse battery' } });
    expect(run(['--id', 'a', '--data', 'd', '--http', '0.0.0.0:9000']).http).toEqual({ host: '0.0.0.0', port: 9000 });
  });

  it('rejects every mistake with a precise message', () => {
    expect(error([])).toMatch(/--id is required/);
    expect(error(['--id', 'bad id', '--data', 'd'])).toMatch(/--id must be/);
    expect(error(['--id', 'n1'])).toMatch(/--data is required/);
    expect(error(['--id', 'n1', '--data', 'd', '--peer', 'n2'])).toMatch(/--peer must be ID=HOST:PORT/);
    expect(error(['--id', 'n1', '--data', 'd', '--peer', 'n2=7402'])).toMatch(/--peer n2 must be HOST:PORT/);
    expect(error(['--id', 'n1', '--data', 'd', '--peer', 'n1=h:1'])).toMatch(/is this node itself/);
    expect(error(['--id', 'n1', '--data', 'd', '--peer', 'n2=h:1', '--peer', 'n2=h:2'])).toMatch(/given twice/);
    expect(error(['--id', 'n1', '--data', 'd', '--peer', 'n2=h:1'])).toMatch(/needs a secret/);
    expect(error(['--id', 'n1', '--data', 'd', '--secret', 'short'])).toMatch(/at least 8/);
    expect(error(['--id', 'n1', '--data', 'd', '--secret', 'longenough', '--secret-file', 'f'])).toMatch(/give the secret once/);
    expect(error(['--id', 'n1', '--data', 'd', '--listen', 'x:99999'])).toMatch(/--listen must be HOST:PORT/);
    expect(error(['--id', 'n1', '--data', 'd', '--tick-ms', '0'])).toMatch(/--tick-ms must be an integer/);
    expect(error(['--id', 'n1', '--data', 'd', '--frobnicate'])).toBe('unknown option --frobnicate');
    expect(error(['--id', 'n1', '--data'])).toBe('--data needs a value');
    expect(error(['--id', 'n1', '--data', 'd', 'extra'])).toMatch(/unexpected argument "extra"/);
    expect(error(['--id', 'n1', '--data', 'd', '--token', 'short'])).toMatch(/API token must be 16 to 512/);
    expect(error(['--id', 'n1', '--data', 'd', '--token', 'has spaces in it, not ok'])).toMatch(/API token/);
  });

  it('--join names a member of a running cluster and needs its secret', () => {
    const options = run(['--id', 'n4', '--data', 'd', '--join', '192.168.1.20:7400', '--secret', 'the cluster secret']);
    expect(options).toMatchObject({ join: [{ host: '192.168.1.20', port: 7400 }], discardHistory: false, secret: { kind: 'value' } });
    expect(run(['--id', 'n4', '--data', 'd', '--join', '[::1]:7400', '--discard-history'], { SYNOD_SECRET: 'the cluster secret' })).toMatchObject({ join: [{ host: '::1' }], discardHistory: true });
    expect(run(['--id', 'n1', '--data', 'd']).join).toBeNull();
    expect(error(['--id', 'n4', '--data', 'd', '--join', '192.168.1.20:7400'])).toMatch(/--join needs the cluster's secret/);
    expect(error(['--id', 'n4', '--data', 'd', '--join', '7400', '--secret', 'the cluster secret'])).toMatch(/--join must be HOST:PORT/);
    expect(error(['--id', 'n4', '--data', 'd', '--join', 'h:1', '--peer', 'n2=h:2', '--secret', 'the cluster secret'])).toMatch(/exclude each other/);
    expect(error(['--id', 'n4', '--data', 'd', '--discard-history'])).toMatch(/only makes sense with --join/);
  });

  it('help and version', () => {
    expect(parseCli(['--help'], {})).toEqual({ kind: 'help' });
    expect(parseCli(['-v'], {})).toEqual({ kind: 'version' });
  });

  it('applies the one secret rule: characters, not UTF-16 units', () => {
    expect(error(['--id', 'n1', '--data', 'd', '--secret', '😀😀😀😀'])).toBe('the cluster secret must be at least 8 characters long (got 4)');
    expect(error(['--id', 'n1', '--data', 'd'], { SYNOD_SECRET: 'x'.repeat(513) })).toMatch(/at most 512/);
    expect(run(['--id', 'n1', '--data', 'd', '--secret', '😀'.repeat(8)]).secret).toEqual({ kind: 'value', value: '😀'.repeat(8) });
  });

  it('allows --http on a non-loopback address, with a warning that says what it exposes', () => {
    for (const address of ['0.0.0.0:9000', '192.168.1.20:9000', '[::]:9000']) {
      const http = run(['--id', 'a', '--data', 'd', '--http', address]).http;
      expect(http).not.toBeNull();
      const warning = httpExposureWarning(http as NonNullable<typeof http>);
      expect(warning, address).toContain(`listen on ${address}, not only on this machine`);
      expect(warning).toMatch(/unencrypted/);
    }
    for (const address of ['8080', '127.0.0.1:8080', 'localhost:8080', '[::1]:8080']) {
      const http = run(['--id', 'a', '--data', 'd', '--http', address]).http;
      expect(httpExposureWarning(http as NonNullable<typeof http>), address).toBeNull();
    }
  });

  it('steers to --secret-file and SYNOD_TOKEN: what is on the command line shows in the process list', () => {
    expect(USAGE).toMatch(/--secret S {12}the secret itself: other users of this machine can read it in the\s+process list, so prefer --secret-file/);
    expect(USAGE).toMatch(/SYNOD_TOKEN, else the one kept in DIR\/api-token/);
  });

  it('an invite code (--join-code, --join-code-file or SYNOD_JOIN_CODE) gives the members to join and the secret', () => {
    const code = encodeInviteCode({ addresses: ['198.18.0.11:7400', '198.18.0.12:7400'], secret: 'the cluster secret' });
    const expected = { join: [{ host: '198.18.0.11', port: 7400 }, { host: '198.18.0.12', port: 7400 }], secret: { kind: 'join-code', value: 'the cluster secret' } };
    expect(run(['--id', 'n4', '--data', 'd', '--join-code', code])).toMatchObject(expected);
    expect(run(['--id', 'n4', '--data', 'd', '--discard-history'], { SYNOD_JOIN_CODE: code })).toMatchObject({ ...expected, discardHistory: true });
    const files = (path: string): string => {
      if (path === '/invite') return `${code}\n`;
      throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    };
    const fromFile = parseCli(['--id', 'n4', '--data', 'd', '--join-code-file', '/invite'], {}, files);
    expect(fromFile).toMatchObject({ kind: 'run', options: expected });
    // The flag wins over the environment.
    expect(run(['--id', 'n4', '--data', 'd', '--join-code', code], { SYNOD_JOIN_CODE: 'garbage' })).toMatchObject(expected);

    expect(parseCli(['--id', 'n4', '--data', 'd', '--join-code-file', '/missing'], {}, files)).toEqual({ kind: 'error', message: "cannot read --join-code-file /missing: ENOENT: no such file or directory, open '/missing'" });
    expect(error(['--id', 'n4', '--data', 'd', '--join-code', code, '--join', 'h:1'])).toMatch(/invite code carries the members to join and the secret/);
    expect(error(['--id', 'n4', '--data', 'd', '--join-code', code, '--secret', 'the cluster secret'])).toMatch(/without --join, --peer, --secret/);
    // A damaged code is refused with the reason, and never quoted (it holds the secret).
    const damaged = error(['--id', 'n4', '--data', 'd', '--join-code', code.replace('synod1.eyJ', 'synod1.eyK')]);
    expect(damaged).toMatch(/^the invite code \(--join-code\) cannot be used\. The invite code is damaged or incomplete/);
    expect(damaged).not.toContain(code.slice(10, 30));
    expect(error(['--id', 'n4', '--data', 'd'], { SYNOD_JOIN_CODE: 'synod2.abc.00000000' })).toMatch(/SYNOD_JOIN_CODE cannot be used.*format version 2/);
  });

  it('--discover turns on finding clusters on the local network', () => {
    expect(run(['--id', 'n1', '--data', 'd']).discover).toBe(false);
    expect(run(['--id', 'n1', '--data', 'd', '--discover']).discover).toBe(true);
  });
});
