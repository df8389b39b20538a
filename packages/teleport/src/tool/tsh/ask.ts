/**
 * @module tool/tsh/ask
 * tsh's questions on stdin/stderr (prompts go to stderr so stdout stays clean for scripts). Turns
 * the prompt library's cancellation into tsh's exit behaviour: Ctrl-C on a terminal exits with 130
 * quietly, and piped input that runs out explains what the pipe should contain.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import { PromptCancelledError, promptSecret } from '../../client/prompt.ts';
import { ExitError } from '../common/cli.ts';
import type { TshContext } from './context.ts';

/** Options for {@link askSecret}. */
export interface AskOptions {
  /** An empty answer, or piped input that has ended, means "none" instead of an error. */
  optional?: boolean;
}

/** Asks for a secret (not echoed on a terminal; one line when piped). `what` names it in errors. */
export async function askSecret(ctx: TshContext, question: string, what: string, opts: AskOptions = {}): Promise<string> {
  const tty = (ctx.io.stdin as { isTTY?: boolean }).isTTY === true;
  try {
    const answer = await promptSecret(question, { input: ctx.io.stdin, output: ctx.io.stderr });
    // On a terminal Enter ends the line; piped answers are not echoed, so end the prompt line here.
    if (!tty) ctx.io.stderr.write('\n');
    return answer;
  } catch (err) {
    if (!(err instanceof PromptCancelledError)) throw err;
    if (tty) {
      ctx.io.stderr.write('cancelled\n');
      throw new ExitError(130);
    }
    if (opts.optional) return '';
    ctx.io.stderr.write('\n');
    throw new BadParameterError(`no ${what} given: the input ended. When piping answers to tsh, ` +
      'send the password and then the OTP code (if the cluster asks for one), one per line', { cause: err });
  }
}
