import { humanBytes } from './output.js';

// A one-line progress bar on stderr: bytes done / total, percent, rate and ETA. Drawn only when stderr
// is a terminal (pipes and CI logs stay clean), redrawn at most ten times a second.

export interface ProgressSink {
  /** Adds bytes just transferred. */
  add(bytes: number): void;
  /** Sets the absolute count (e.g. parts skipped on resume count as done, but not toward the rate). */
  setDone(bytes: number, countTowardRate?: boolean): void;
  /** Clears the line. */
  finish(): void;
}

const NOOP: ProgressSink = { add() {}, setDone() {}, finish() {} };

export function progressBar(label: string, total: number, enabled = process.stderr.isTTY === true): ProgressSink {
  if (!enabled) return NOOP;
  const out = process.stderr;
  const started = Date.now();
  let done = 0;
  let baseline = 0; // bytes that were already there (resumed), excluded from the rate
  let lastDraw = 0;
  const draw = (force = false): void => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const secs = (now - started) / 1000;
    const rate = secs > 0 ? (done - baseline) / secs : 0;
    const eta = rate > 0 ? Math.ceil((total - done) / rate) : undefined;
    const name = label.length > 30 ? `…${label.slice(-29)}` : label;
    const stats =
      `${(frac * 100).toFixed(0).padStart(3)}% ${humanBytes(done)}/${humanBytes(total)} ${humanBytes(Math.round(rate))}/s` +
      (eta !== undefined && done < total ? ` ETA ${formatEta(eta)}` : '');
    const columns = out.columns ?? 80;
    // The bar takes what the text leaves of the terminal width.
    const width = Math.max(5, Math.min(30, columns - name.length - stats.length - 5));
    const filled = Math.round(frac * width);
    const line = `${name} [${'='.repeat(filled)}${' '.repeat(width - filled)}] ${stats}`;
    out.write(`\r${line.slice(0, columns - 1)}\x1b[K`);
  };
  return {
    add(bytes) {
      done += bytes;
      draw();
    },
    setDone(bytes, countTowardRate = true) {
      if (!countTowardRate) baseline += bytes - done;
      done = bytes;
      draw();
    },
    finish() {
      draw(true);
      out.write('\r\x1b[K');
    },
  };
}

function formatEta(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A sink for one of several concurrent transfers that all feed one aggregate bar. */
export function childSink(parent: ProgressSink): ProgressSink {
  let done = 0;
  return {
    add(bytes) {
      done += bytes;
      parent.add(bytes);
    },
    setDone(bytes) {
      parent.add(bytes - done);
      done = bytes;
    },
    finish() {},
  };
}
