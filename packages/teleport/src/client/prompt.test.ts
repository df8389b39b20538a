/**
 * @module client/prompt.test
 * Prompts over piped input (one line per prompt, however the bytes arrive) and over a fake terminal
 * (no echo, backspace, Ctrl-C).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { PromptCancelledError, promptLine, promptSecret } from './prompt.ts';

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** A PassThrough that claims to be a terminal and records raw-mode switches. */
function fakeTTY(): PassThrough & { isTTY: true; isRaw: boolean; modes: boolean[]; setRawMode(m: boolean): void } {
  const s = new PassThrough() as PassThrough & { isTTY: true; isRaw: boolean; modes: boolean[]; setRawMode(m: boolean): void };
  s.isTTY = true;
  s.isRaw = false;
  s.modes = [];
  s.setRawMode = (m: boolean) => {
    s.isRaw = m;
    s.modes.push(m);
  };
  return s;
}

describe('prompts on piped input', () => {
  it('gives two consecutive prompts their own line when both lines arrive at once', async () => {
    const input = new PassThrough();
    const out = sink();
    input.end('hunter2-password\n123456\n');
    const password = await promptSecret('Enter password for Teleport user alice:\n', { input, output: out.stream });
    const otp = await promptLine('Enter an OTP code from a device:\n', { input, output: out.stream });
    assert.equal(password, 'hunter2-password');
    assert.equal(otp, '123456');
    assert.equal(out.text(), 'Enter password for Teleport user alice:\nEnter an OTP code from a device:\n');
  });

  it('handles lines split across chunks, CRLF, multi-byte characters and a last line without newline', async () => {
    const input = new PassThrough();
    const io = { input, output: sink().stream };
    const first = promptLine('? ', io);
    input.write('pa');
    input.write(Buffer.from('ss wörd\r\nsec'));
    assert.equal(await first, 'pass wörd');
    const euro = Buffer.from('€');
    input.write(euro.subarray(0, 1));
    input.end(Buffer.concat([euro.subarray(1), Buffer.from('ond')]));
    assert.equal(await promptSecret('? ', io), 'sec€ond');
    assert.ok(input.readableEnded || input.isPaused());
  });

  it('fails clearly when the input ends before an answer', async () => {
    const input = new PassThrough();
    input.end('');
    await assert.rejects(promptSecret('Password: ', { input, output: sink().stream }),
      (e: unknown) => e instanceof PromptCancelledError && /input ended/.test(e.message));
  });

  it('works on a real piped process.stdin, and the process exits afterwards', () => {
    const module = fileURLToPath(new URL('./prompt.ts', import.meta.url));
    const script = `import { promptSecret, promptLine } from ${JSON.stringify(module)};
      const io = { input: process.stdin, output: process.stderr };
      const pw = await promptSecret('Password: ', io);
      const otp = await promptLine('OTP: ', io);
      console.log(JSON.stringify([pw, otp]));`;
    const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script],
      { input: 'pass word\n654321\nextra\n', encoding: 'utf8', timeout: 20_000 });
    assert.equal(res.signal, null, 'exited by itself');
    assert.equal(res.stdout.trim(), '["pass word","654321"]', res.stderr);
    assert.equal(res.stderr, 'Password: OTP: ');
  });

  it('stops reading between prompts so an idle stdin does not keep the process alive', async () => {
    const input = new PassThrough();
    input.write('one\n');
    assert.equal(await promptLine('', { input, output: sink().stream }), 'one');
    assert.equal(input.isPaused(), true);
  });
});

describe('prompts on a terminal', () => {
  it('reads a secret in raw mode without echo, with backspace and Ctrl-U', async () => {
    const input = fakeTTY();
    const out = sink();
    const answer = promptSecret('Password: ', { input, output: out.stream });
    input.write('wrong\u0015sec');
    input.write('x\u007fret\r');
    assert.equal(await answer, 'secret');
    assert.deepEqual(input.modes, [true, false], 'raw mode on, then restored');
    assert.equal(out.text(), 'Password: \n', 'nothing typed is echoed');
  });

  it('echoes an ordinary answer and erases on backspace', async () => {
    const input = fakeTTY();
    const out = sink();
    const answer = promptLine('Login: ', { input, output: out.stream });
    input.write('rooo\u007ft\n');
    assert.equal(await answer, 'root');
    assert.equal(out.text(), 'Login: rooo\b \bt\n');
  });

  it('cancels on Ctrl-C and on Ctrl-D at an empty prompt, restoring the terminal', async () => {
    for (const key of ['abc\u0003', '\u0004']) {
      const input = fakeTTY();
      const answer = promptSecret('Password: ', { input, output: sink().stream });
      input.write(key);
      await assert.rejects(answer, (e: unknown) => e instanceof PromptCancelledError && e.message === 'cancelled');
      assert.equal(input.isRaw, false);
    }
  });
});
