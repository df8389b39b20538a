/**
 * @module asciicast/parser
 * Streaming asciicast v2 parser: feed it the file's bytes in whatever chunks they arrive (pages of a
 * download, reads of a file) and it returns the events of every line completed so far. A line split
 * across chunks is buffered, and so is a UTF-8 character split across chunks. Blank lines are
 * skipped. A line that is not valid asciicast throws BadParameterError naming the line.
 */
import { BadParameterError } from '../errors.ts';
import { parseEventLine, parseHeaderLine, type AsciicastEvent, type AsciicastHeader } from './codec.ts';

/** Incremental parser of one asciicast v2 stream. */
export class AsciicastParser {
  // Non-fatal: a damaged byte in a stored file should not stop a replay; it shows as U+FFFD.
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private pending = '';
  private lineNo = 0;
  private ended = false;
  /** The header, once its line has been parsed. */
  header: AsciicastHeader | undefined;

  /** Adds a chunk; returns the events of the lines it completed. */
  push(chunk: Uint8Array | string): AsciicastEvent[] {
    if (this.ended) throw new BadParameterError('asciicast parser: push after end');
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: AsciicastEvent[] = [];
    let start = 0;
    for (let nl = this.pending.indexOf('\n'); nl >= 0; nl = this.pending.indexOf('\n', start)) {
      this.parseLine(this.pending.slice(start, nl), out);
      start = nl + 1;
    }
    this.pending = this.pending.slice(start);
    return out;
  }

  /**
   * Ends the stream and parses a last line that had no newline. Not calling it drops such a line,
   * which is what a reader of a recording still being written wants.
   */
  end(): AsciicastEvent[] {
    if (this.ended) return [];
    this.pending += this.decoder.decode();
    this.ended = true;
    const out: AsciicastEvent[] = [];
    this.parseLine(this.pending, out);
    this.pending = '';
    if (!this.header) throw new BadParameterError('asciicast: empty recording (no header line)');
    return out;
  }

  /** Bytes-as-text received but not yet parsed (an incomplete last line). */
  get buffered(): string {
    return this.pending;
  }

  private parseLine(raw: string, out: AsciicastEvent[]): void {
    this.lineNo++;
    if (raw.trim() === '') return;
    if (!this.header) this.header = parseHeaderLine(raw, this.lineNo);
    else out.push(parseEventLine(raw, this.lineNo));
  }
}

/** A whole recording. */
export interface Asciicast {
  header: AsciicastHeader;
  events: AsciicastEvent[];
}

/** Parses a complete asciicast v2 file. */
export function parseAsciicast(input: string | Uint8Array): Asciicast {
  const p = new AsciicastParser();
  const events = p.push(input);
  events.push(...p.end());
  return { header: p.header as AsciicastHeader, events };
}
