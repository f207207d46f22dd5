/**
 * Wire codec benchmark (not a test): the binary codec of src-main/net/codec.ts against JSON
 * (JSON.stringify + TextEncoder, TextDecoder + JSON.parse) on two messages:
 *  - accept64: a leader's accept carrying 64 tweet commands of ~150 bytes each (a busy batch);
 *  - accepted: a small accepted reply (the most frequent message).
 * For each it prints the encoded size, encode, decode and round-trip (encode + decode) operations per
 * second, and round-trip MB/s of encoded bytes (1 MB = 10^6 bytes), one line per message and format.
 * A last line measures sealing and opening (AES-256-GCM, seal.ts) of one full 1400-byte datagram.
 *
 * Run: npx tsx bench/net/codec-bench.ts [seconds-per-measurement]
 */
import { performance } from 'node:perf_hooks';
import { decodeMessage, encodeMessage } from '../../src-main/net/codec';
import { deriveClusterKeys } from '../../src-main/net/keys';
import { sampleAccept, sampleAccepted } from '../../test/support/random-messages';
import { membersDigest, Opener, Sealer } from '../../src-main/net/seal';
import type { WireMessage } from '../../src-main/net/wire';

const runSeconds = Number(process.argv[2] ?? 1);
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

interface Format {
  readonly name: string;
  readonly encode: (m: WireMessage) => Uint8Array;
  readonly decode: (bytes: Uint8Array) => unknown;
}

const FORMATS: readonly Format[] = [
  { name: 'binary', encode: encodeMessage, decode: decodeMessage },
  { name: 'json', encode: (m) => textEncoder.encode(JSON.stringify(m)), decode: (bytes) => JSON.parse(textDecoder.decode(bytes)) as unknown },
];

/** Keeps results observable so the optimizer cannot drop the work. */
let sink = 0;

/** Operations per second of `op`, measured in batches for about runSeconds after a short warm-up. */
function opsPerSecond(op: () => void): number {
  const warmupEnd = performance.now() + 200;
  while (performance.now() < warmupEnd) op();
  let ops = 0;
  const start = performance.now();
  const deadline = start + runSeconds * 1000;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 100; i++) op();
    ops += 100;
    now = performance.now();
  }
  return ops / ((now - start) / 1000);
}

function run(label: string, message: WireMessage, format: Format): string {
  const bytes = format.encode(message);
  const encodeOps = opsPerSecond(() => {
    sink += format.encode(message).length;
  });
  const decodeOps = opsPerSecond(() => {
    sink += format.decode(bytes) === null ? 1 : 0;
  });
  const roundTripOps = opsPerSecond(() => {
    sink += format.decode(format.encode(message)) === null ? 1 : 0;
  });
  const mbPerS = (roundTripOps * bytes.length) / 1e6;
  return (
    `codec message=${label} format=${format.name} bytes=${bytes.length} encode_ops_per_s=${encodeOps.toFixed(0)}` +
    ` decode_ops_per_s=${decodeOps.toFixed(0)} roundtrip_ops_per_s=${roundTripOps.toFixed(0)} roundtrip_MB_per_s=${mbPerS.toFixed(1)}\n`
  );
}

const messages: [string, WireMessage][] = [
  ['accept64', sampleAccept(64, 150)],
  ['accepted', sampleAccepted()],
];
process.stdout.write(`codec benchmark: ${runSeconds} s per measurement, node ${process.version}\n`);
for (const [label, message] of messages) {
  for (const format of FORMATS) process.stdout.write(run(label, message, format));
}
const DATAGRAM_BYTES = 1400;
const keys = deriveClusterKeys('benchmark cluster secret');
const members = new Set(['n1', 'n2']);
// A fresh sealer per batch keeps the opener's replay window from rejecting anything: each batch is a new epoch.
let epoch = 0;
let sealer = new Sealer(keys.key, keys.clusterId, 'n1', ++epoch, membersDigest(members));
const opener = new Opener(keys.key, keys.clusterId);
opener.setMembers(members);
const plaintext = new Uint8Array(DATAGRAM_BYTES - sealer.overheadBytes);
const sealOps = opsPerSecond(() => {
  if (sealer.sealedDatagrams > 1_000_000) sealer = new Sealer(keys.key, keys.clusterId, 'n1', ++epoch, membersDigest(members));
  const opened = opener.open(sealer.seal({ messageId: 0, index: 0, count: 1 }, plaintext));
  sink += opened.ok ? 1 : 0;
});
process.stdout.write(`seal+open datagram_bytes=${DATAGRAM_BYTES} ops_per_s=${sealOps.toFixed(0)} MB_per_s=${((sealOps * DATAGRAM_BYTES) / 1e6).toFixed(1)}\n`);
if (sink === -1) process.stdout.write('unreachable\n');
