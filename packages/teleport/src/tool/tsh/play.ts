/**
 * @module tool/tsh/play
 * `tsh play <session-id>`: replays a recorded session from the cluster's recording storage. With
 * `--format=pty` (the default) the output events are written to stdout with their recorded timing,
 * scaled by `--speed`, and with long pauses cut short; the bytes written are exactly the bytes the
 * session printed (asciicast stores UTF-8 text, see asciicast/text), so the replay is byte-identical.
 * With `--format=json` each event is printed as one JSON line, without delays. The recording is
 * fetched page by page and played as it arrives; one that is still being uploaded (the session is
 * running, or the node has not caught up) is played as far as it goes, with a warning.
 */
import type { Command } from 'commander';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import { AsciicastParser, encodeOutput, type AsciicastEvent } from '@teleport-ts/api/asciicast/index';
import { BadParameterError, isNotFound, NotFoundError } from '@teleport-ts/api/errors';
import type { CLIIO } from '../common/cli.ts';

/** The part of AuthClient `tsh play` needs. */
export type RecordingReader = Pick<AuthClient, 'getRecording'>;

/** Injected for tests. */
export interface PlayDeps {
  /** Waits between events; default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Bytes fetched per request; default 1 MiB. */
  pageBytes?: number;
}

/** Options of one replay. */
export interface PlayOptions {
  format: 'pty' | 'json';
  /** Playback speed multiplier (2 = twice as fast). */
  speed: number;
  /** Cut pauses to SKIP_IDLE_SECONDS instead of the recording's idle limit. */
  skipIdle: boolean;
}

/** Pauses longer than this many (recorded) seconds are shortened, unless the recording says otherwise. */
export const DEFAULT_IDLE_LIMIT_SECONDS = 10;
/** The pause cap with --skip-idle. */
export const SKIP_IDLE_SECONDS = 1;

/** Registers `tsh play`. */
export function registerPlayCommand(program: Command, io: CLIIO, getAuthClient: () => Promise<RecordingReader>, deps: PlayDeps = {}): void {
  program
    .command('play')
    .description('Replay a recorded session (see "tsh recordings ls" for session IDs).')
    .argument('<session-id>', 'ID of the session to replay')
    .option('--speed <n>', 'playback speed, e.g. 2 for twice as fast or 0.5 for half speed', '1')
    .option('--format <format>', 'pty (replay on the terminal) or json (print the events as JSON lines)', 'pty')
    .option('--skip-idle', `cut pauses longer than ${SKIP_IDLE_SECONDS}s to ${SKIP_IDLE_SECONDS}s`)
    .action(async (sessionId: string, opts: { speed: string; format: string; skipIdle?: boolean }) => {
      const speed = Number(opts.speed);
      if (!Number.isFinite(speed) || speed <= 0) throw new BadParameterError(`--speed must be a positive number, like 2 or 0.5, got "${opts.speed}"`);
      if (opts.format !== 'pty' && opts.format !== 'json') throw new BadParameterError(`--format must be "pty" or "json", got "${opts.format}"`);
      const client = await getAuthClient();
      await playRecording(client, sessionId, { format: opts.format, speed, skipIdle: opts.skipIdle ?? false }, io, deps);
    });
}

/** Replays one recording to `io.stdout`; resolves with whether the recording was complete. */
export async function playRecording(client: RecordingReader, sessionId: string, opts: PlayOptions, io: CLIIO, deps: PlayDeps = {}): Promise<{ complete: boolean }> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const parser = new AsciicastParser();
  let lastOutput = 0;
  const play = async (events: AsciicastEvent[]): Promise<void> => {
    for (const e of events) {
      if (opts.format === 'json') {
        await write(io.stdout, `${JSON.stringify({ time: e.time, code: e.code, data: e.data })}\n`);
        continue;
      }
      if (e.code !== 'o') continue; // resizes cannot be replayed onto the viewer's terminal
      const limit = opts.skipIdle ? SKIP_IDLE_SECONDS : (idleLimit(parser) ?? DEFAULT_IDLE_LIMIT_SECONDS);
      const pause = Math.min(Math.max(0, e.time - lastOutput), limit);
      lastOutput = e.time;
      if (pause > 0) await sleep((pause * 1000) / opts.speed);
      await write(io.stdout, encodeOutput(e.data));
    }
  };
  let complete = false;
  for await (const page of readRecording(client, sessionId, deps.pageBytes ?? 1 << 20)) {
    complete = page.complete;
    await play(parser.push(page.data));
  }
  if (complete) await play(parser.end());
  else {
    io.stderr.write(`WARNING: the recording of session ${sessionId} is incomplete (the session may still be running, ` +
      'or its node has not finished uploading it): played what has arrived so far.\n');
  }
  return { complete };
}

/** Fetches a recording in pages until the end of what is stored. */
async function* readRecording(client: RecordingReader, sessionId: string, pageBytes: number): AsyncGenerator<{ data: Uint8Array; complete: boolean }> {
  let offset = 0;
  for (;;) {
    let page;
    try {
      page = await client.getRecording({ sessionId, offset, limit: pageBytes });
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(`no recording of session ${sessionId}: check the ID with "tsh recordings ls"`, { cause: err });
      throw err;
    }
    offset += page.data.length;
    yield page;
    if (page.data.length === 0 || offset >= page.size) return;
  }
}

function idleLimit(parser: AsciicastParser): number | undefined {
  const v = parser.header?.idle_time_limit;
  return typeof v === 'number' && v > 0 ? v : undefined;
}

/** Writes and waits for the stream to drain when it asks us to. */
async function write(out: NodeJS.WritableStream, chunk: string | Uint8Array): Promise<void> {
  if (out.write(chunk)) return;
  await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}
