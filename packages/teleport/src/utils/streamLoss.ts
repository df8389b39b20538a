/**
 * @module utils/streamLoss
 * Why a byte stream ended, when its end was not the peer hanging up: a reverse-tunnel channel ends
 * with a plain EOF when the agent's connection dies, which looks exactly like a node closing the
 * connection normally. The tunnel server marks such channels; whoever relays them asks before it
 * reports a clean end.
 */
import type { Duplex } from 'node:stream';

const reasons = new WeakMap<Duplex, string>();

/** Records that `stream` ended because its transport was lost. */
export function markStreamLost(stream: Duplex, reason: string): void {
  if (!reasons.has(stream)) reasons.set(stream, reason);
}

/** Why `stream` was lost, or undefined when it ended normally (or is still open). */
export function streamLostReason(stream: Duplex): string | undefined {
  return reasons.get(stream);
}
