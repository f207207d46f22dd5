/**
 * The protocol configuration of simulated clusters: the real timeouts (ticks), with the byte limits scaled
 * down about eightfold, so that a simulated laggard a few hundred slots behind meets the same limits a real
 * one meets thousands of slots behind: a promise that reported every slot it misses would exceed
 * maxMessageBytes after about 40 full slots, which the transport check (SimNode) reports as a violation.
 *
 * validateProtocolConfig accepts these: a full tweet (280 four-byte emoji, about 1,150 bytes encoded) plus
 * its command overhead fits maxBatchBytes three times; one full slot fits maxCatchupBytes; and
 * maxMessageBytes holds a full accept window (2 * maxInflightSlots slots of maxBatchBytes, 132,896 bytes)
 * plus maxCatchupBytes.
 */
import type { ProtocolConfig } from '../../src-main/core/config';

export const SIM_PROTOCOL_CONFIG: Partial<ProtocolConfig> = Object.freeze({
  maxBatchBytes: 4 * 1024,
  maxCommandBytes: 1280,
  maxInflightSlots: 16,
  maxCatchupBytes: 16 * 1024,
  maxMessageBytes: 160 * 1024,
  /** A laptop that slept through a few hundred slots of full batches fetches a snapshot (real default: 512). */
  snapshotCatchupSlots: 256,
  /** Applying a long catch-up takes several turns, as it does in a real runtime (real default: 512). */
  maxCommittedCommandsPerReady: 64,
});

/** The largest tweet the app accepts, in the heaviest characters (4 UTF-8 bytes each): the workload of issue 10. */
export const FULL_TWEET_TEXT = '\u{1F426}'.repeat(280);
