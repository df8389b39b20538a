/**
 * @module srv/ssh/labels
 * Dynamic command labels (`ssh_service.commands`): each command runs every `period` (with a
 * timeout) and its trimmed stdout becomes the label's value, published in the node's heartbeat
 * (`spec.cmd_labels`) and matched by RBAC like a static label. As upstream, a failed run sets the
 * value to the error and its output, so a broken label is visible rather than silently stale.
 */
import { execFile } from 'node:child_process';
import { formatDuration } from '@teleport-ts/api/duration';
import type { CommandLabel } from '@teleport-ts/api/types/server';
import type { Logger } from '../../utils/logger.ts';

/** One configured command label. */
export interface CommandLabelSpec {
  name: string;
  command: string[];
  periodMs: number;
}

/** Inputs of CommandLabels. */
export interface CommandLabelsOptions {
  /** Longest a command may run (default: the smaller of its period and 30 s). */
  timeoutMs?: number;
  /** Called after a value changed. */
  onChange?: () => void;
  logger: Logger;
}

const MAX_OUTPUT = 64 * 1024;

/** Runs command labels periodically and holds their latest results. */
export class CommandLabels {
  private readonly results = new Map<string, string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(private readonly specs: CommandLabelSpec[], private readonly opts: CommandLabelsOptions) {
    for (const s of specs) this.results.set(s.name, '');
  }

  /** Runs every command once (resolves when all finished), then keeps re-running them. */
  async start(): Promise<void> {
    await Promise.all(this.specs.map((s) => this.runOne(s)));
    for (const s of this.specs) {
      if (this.stopped) break;
      const timer = setInterval(() => void this.runOne(s), Math.max(s.periodMs, 100));
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Stops re-running. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
  }

  /** Current values by label name. */
  values(): Record<string, string> {
    return Object.fromEntries(this.results);
  }

  /** The labels as the node resource carries them. */
  cmdLabels(): Record<string, CommandLabel> {
    return Object.fromEntries(this.specs.map((s) => [s.name, {
      command: s.command, period: formatDuration(s.periodMs), result: this.results.get(s.name) ?? '',
    }]));
  }

  private async runOne(s: CommandLabelSpec): Promise<void> {
    const result = await runCommand(s.command, this.opts.timeoutMs ?? Math.min(s.periodMs, 30_000));
    if (!result.ok) this.opts.logger.warn({ label: s.name, command: s.command, result: result.value }, 'command label failed');
    if (this.stopped || this.results.get(s.name) === result.value) return;
    this.results.set(s.name, result.value);
    this.opts.onChange?.();
  }
}

/** Runs `argv` without a shell; the value is trimmed stdout, or the error and output on failure. */
export function runCommand(argv: string[], timeoutMs: number): Promise<{ ok: boolean; value: string }> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.resolve({ ok: false, value: 'empty command' });
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: MAX_OUTPUT, killSignal: 'SIGKILL' }, (err, stdout) => {
      const out = String(stdout).trim();
      if (!err) return resolve({ ok: true, value: out });
      const why = err.killed ? `timed out after ${timeoutMs} ms` : err.message.split('\n')[0] ?? 'failed';
      resolve({ ok: false, value: `${why} output: ${out}`.trim() });
    });
  });
}
