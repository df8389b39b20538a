/**
 * @module tool/tsh/progressBar
 * The per-file progress line `tsh scp` draws on a terminal's stderr: name, percentage, bar, bytes
 * and rate, redrawn in place at most ten times a second and finished with a newline per file.
 */

/** Human byte counts: "512 B", "1.5 KB", "3.2 MB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** One progress line. */
export function formatProgress(name: string, done: number, total: number, elapsedMs: number, width = 30): string {
  const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
  const filled = Math.round((pct / 100) * width);
  const bar = `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? (pct === 100 ? '=' : '>') : ''}${' '.repeat(width - filled)}`;
  const rate = elapsedMs > 0 ? `${formatBytes(Math.round((done * 1000) / elapsedMs))}/s` : '';
  return `${name} ${String(pct).padStart(3)}% [${bar}] ${formatBytes(done)} ${rate}`.trimEnd();
}

/** Draws progress lines on `out` (a terminal). */
export class ProgressBar {
  private started = 0;
  private lastDraw = 0;
  private current = '';

  constructor(private readonly out: NodeJS.WritableStream, private readonly now: () => number = Date.now) {}

  /** Reports progress of `name`; redraws when due or when the file is complete. */
  update(name: string, done: number, total: number): void {
    const t = this.now();
    if (name !== this.current) {
      this.current = name;
      this.started = t;
      this.lastDraw = -Infinity;
    }
    if (done < total && t - this.lastDraw < 100) return;
    this.lastDraw = t;
    this.out.write(`\r\x1b[K${formatProgress(name, done, total, t - this.started)}`);
  }

  /** Ends the line of a finished file. */
  finish(): void {
    if (this.current) this.out.write('\n');
    this.current = '';
  }
}
