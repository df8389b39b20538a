/**
 * @module asciicast/text
 * How terminal output bytes become the strings asciicast stores, and back. asciicast keeps output as
 * JSON text, so bytes must be decoded; the decoder runs in streaming mode, which carries a
 * multi-byte UTF-8 sequence split across two reads over to the next one instead of mangling it.
 * A leading byte-order mark is kept as a character (ignoreBOM), not swallowed.
 *
 * Invalid UTF-8 (a stray 0xff, Latin-1 text, a binary dumped to the terminal) is replaced with
 * U+FFFD per maximal invalid subsequence, the same as asciinema's own recorder does. We chose this
 * over a lossless escape (such as Python's surrogateescape) because lone surrogates in the JSON make
 * `asciinema play` refuse the whole file. Consequence: replay is byte-identical for output that is
 * valid UTF-8 - which is what terminals emit - and differs only where the output was not.
 */

/** Streaming bytes-to-text decoder for one session's output. */
export class OutputDecoder {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  /** Decodes the next chunk; an incomplete trailing sequence is held back for the next call. */
  decode(chunk: Uint8Array): string {
    return this.decoder.decode(chunk, { stream: true });
  }

  /** Ends the stream: a held-back incomplete sequence comes out as U+FFFD. */
  flush(): string {
    return this.decoder.decode();
  }
}

const encoder = new TextEncoder();

/** The bytes a stored output string stands for (UTF-8). */
export function encodeOutput(text: string): Uint8Array {
  return encoder.encode(text);
}
