/**
 * @module reversetunnel/frameIO
 * Stream side of the tunnel framing (protocol.ts is the pure codec): read exactly one frame off a
 * stream and leave every byte after it in the stream, so the stream can then be handed on raw
 * (the dial handshake), and feed a stream of frames to a callback (the control channel).
 */
import type { Duplex } from 'node:stream';
import { ConnectionProblemError } from '@teleport-ts/api/errors';
import { FrameDecoder } from './protocol.ts';

/**
 * Reads the first frame of `stream` and returns its JSON value; bytes after it are pushed back
 * (`unshift`) for whoever reads next. Rejects when the stream ends or fails first, when `timeoutMs`
 * passes, or when the frame is malformed or too large.
 */
export function readFirstFrame(stream: Duplex, timeoutMs: number, what: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder();
    const cleanup = (): void => {
      clearTimeout(timer);
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onError);
    };
    const fail = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onEnd = (): void => fail(new ConnectionProblemError(`the tunnel channel closed before the ${what} arrived`));
    const onError = (err: Error): void => fail(new ConnectionProblemError(`the tunnel channel failed before the ${what} arrived: ${err.message}`, { cause: err }));
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = stream.read() as Buffer | null) !== null) {
        let frame;
        try {
          frame = decoder.pushOne(chunk);
        } catch (err) {
          fail(err as Error);
          return;
        }
        if (frame) {
          cleanup();
          const rest = decoder.rest();
          if (rest.length > 0) stream.unshift(rest);
          resolve(frame.value);
          return;
        }
      }
    };
    const timer = setTimeout(() => fail(new ConnectionProblemError(`no ${what} within ${timeoutMs / 1000}s`)), timeoutMs);
    timer.unref();
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', onError);
    onReadable();
  });
}

/**
 * Decodes every frame arriving on `stream` and hands each JSON value to `onFrame`. A protocol error
 * calls `onError` and destroys the stream (it is out of sync from then on).
 */
export function readFrames(stream: Duplex, onFrame: (value: unknown) => void, onError: (err: Error) => void): void {
  const decoder = new FrameDecoder();
  stream.on('data', (chunk: Buffer) => {
    let values: unknown[];
    try {
      values = decoder.push(chunk);
    } catch (err) {
      onError(err as Error);
      stream.destroy();
      return;
    }
    for (const v of values) onFrame(v);
  });
}
