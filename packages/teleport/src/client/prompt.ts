/**
 * @module client/prompt
 * Interactive questions for tsh (password, OTP code, confirmations). On a terminal the secret prompt
 * switches to raw mode so nothing is echoed, and handles backspace, Enter, Ctrl-C and Ctrl-D itself.
 * When input is a pipe, answers are read one line at a time so scripts and tests can feed
 * "password\n123456\n": every prompt on the same stream shares one buffered reader, because a fresh
 * reader per prompt would swallow the lines meant for the next one.
 */
import { StringDecoder } from 'node:string_decoder';

/** Streams a prompt talks to (usually process.stdin and process.stderr). */
export interface PromptIO {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/** The user pressed Ctrl-C (or Ctrl-D on an empty line) at a prompt. The CLI exits with status 130. */
export class PromptCancelledError extends Error {
  readonly code = 'cancelled';
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'PromptCancelledError';
  }
}

/** A TTY read stream as far as prompts care. */
interface TTYInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
}

interface Waiter {
  resolve(line: string): void;
  reject(err: Error): void;
}

/** One buffered line reader per input stream; it reads only while someone is waiting for a line. */
class LineReader {
  private buffer = '';
  private ended = false;
  private failure: Error | undefined;
  private readonly waiters: Waiter[] = [];
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly input: NodeJS.ReadableStream) {
    input.on('data', (chunk: Buffer | string) => {
      this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
      this.drain();
    });
    input.on('end', () => {
      this.buffer += this.decoder.end();
      this.ended = true;
      this.drain();
    });
    input.on('error', (err: Error) => {
      this.failure = err;
      this.drain();
    });
    input.pause();
  }

  /** The next line, without its line ending. */
  readLine(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.waiters.length > 0) {
      const nl = this.buffer.indexOf('\n');
      if (nl < 0 && !this.ended && !this.failure) break;
      const waiter = this.waiters.shift() as Waiter;
      if (nl >= 0) {
        const line = this.buffer.slice(0, nl).replace(/\r$/, '');
        this.buffer = this.buffer.slice(nl + 1);
        waiter.resolve(line);
      } else if (this.buffer !== '') {
        waiter.resolve(this.buffer); // last line without a newline
        this.buffer = '';
      } else {
        waiter.reject(this.failure ?? new PromptCancelledError('cancelled: the input ended before an answer was given'));
      }
    }
    // Keep reading only while a prompt waits, so an idle reader does not hold the process open.
    if (this.waiters.length > 0 && !this.ended) this.input.resume();
    else this.input.pause();
  }
}

const readers = new WeakMap<NodeJS.ReadableStream, LineReader>();

function lineReaderFor(input: NodeJS.ReadableStream): LineReader {
  let reader = readers.get(input);
  if (!reader) {
    reader = new LineReader(input);
    readers.set(input, reader);
  }
  return reader;
}

/** Asks for a secret (password, OTP code) without echoing it on a terminal. */
export function promptSecret(question: string, io: PromptIO): Promise<string> {
  return prompt(question, io, false);
}

/** Asks for a line of ordinary input, echoed as typed. */
export function promptLine(question: string, io: PromptIO): Promise<string> {
  return prompt(question, io, true);
}

async function prompt(question: string, io: PromptIO, echo: boolean): Promise<string> {
  io.output.write(question);
  const input = io.input as TTYInput;
  if (input.isTTY && typeof input.setRawMode === 'function') return readRaw(input, io.output, echo);
  return lineReaderFor(io.input).readLine();
}

/** Reads keys in raw mode until Enter; the terminal's line editing is off, so it is done here. */
function readRaw(input: TTYInput, output: NodeJS.WritableStream, echo: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    const wasRaw = input.isRaw === true;
    let answer = '';
    const finish = (err: Error | undefined): void => {
      input.removeListener('data', onData);
      input.setRawMode?.(wasRaw);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(answer);
    };
    const onData = (chunk: Buffer | string): void => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      for (const ch of text) {
        switch (ch) {
          case '\r':
          case '\n':
            return finish(undefined);
          case '\u0003': // Ctrl-C
            return finish(new PromptCancelledError());
          case '\u0004': // Ctrl-D: end of input on an empty line, ignored otherwise (as a shell does)
            if (answer === '') return finish(new PromptCancelledError());
            break;
          case '\u007f': // DEL, sent by Backspace
          case '\b':
            if (answer !== '') {
              answer = [...answer].slice(0, -1).join('');
              if (echo) output.write('\b \b');
            }
            break;
          case '\u0015': // Ctrl-U: clear the line
            if (echo) output.write('\b \b'.repeat([...answer].length));
            answer = '';
            break;
          default:
            if (ch >= ' ') {
              answer += ch;
              if (echo) output.write(ch);
            }
        }
      }
    };
    input.setRawMode?.(true);
    input.on('data', onData);
    input.resume();
  });
}
