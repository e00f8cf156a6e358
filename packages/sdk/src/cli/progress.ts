/** A progress bar on stderr for long work, shown only on a terminal (never in pipes, CI logs or tests). */
import cliProgress from 'cli-progress';

/** What long-running commands report to. */
export interface Progress {
  /** Sets the expected total (it may grow as work is discovered). */
  total(n: number): void;
  /** Adds done units. */
  tick(n: number): void;
  stop(): void;
}

const SILENT: Progress = { total() {}, tick() {}, stop() {} };

/**
 * A bar labelled `label` when `stream` is a TTY, otherwise a no-op.
 * @example const bar = createProgress('copy', process.stderr); bar.total(1000); bar.tick(100); bar.stop();
 */
export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let expected = 0;
  return {
    total(n) {
      expected = n;
      if (!started) {
        bar.start(n, 0);
        started = true;
      } else bar.setTotal(n);
    },
    tick(n) {
      if (!started) this.total(expected);
      bar.increment(n);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
