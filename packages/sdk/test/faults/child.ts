/**
 * Runs a TypeScript script of this folder in a child Node process (through tsx), so a fault that would
 * kill its host (an unhandled 'error' event, an uncaught exception) kills the child, not the test runner.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** One JSON line written by the child. */
export type Line = Record<string, unknown>;

/** A running child: its JSON lines, a way to write commands, and how it ended. */
export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Every JSON line received so far. */
  readonly lines: Line[];
  /** stderr so far (for failure messages). */
  stderr(): string;
  /** Writes one JSON command line to the child's stdin. */
  send(command: unknown): void;
  /**
   * Resolves with the first line from index `from` on (already received or coming) matching `match`;
   * rejects if the child exits first or after `timeoutMs`.
   */
  next(match: (line: Line) => boolean, timeoutMs?: number, from?: number): Promise<Line>;
  /** Ends the child's stdin (a child reading commands then exits once its work is done). */
  endInput(): void;
  /** Sends `command` and resolves with the child's next `{ event: 'answer' }` line. */
  request(command: unknown, timeoutMs?: number): Promise<Line>;
  /** Resolves when the child has exited, with its code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True until the child exits. */
  alive(): boolean;
}

/** Starts `script` (a path relative to this folder) with `args`; `env` adds to the current environment. */
export function startChild(script: string, args: string[], env: Record<string, string> = {}): Child {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  const waiters = new Set<() => void>();
  let err = '';
  let buffer = '';
  let running = true;
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffer += chunk;
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (text.startsWith('{')) lines.push(JSON.parse(text) as Line);
      nl = buffer.indexOf('\n');
    }
    for (const wake of waiters) wake();
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    err = (err + chunk).slice(-20_000);
  });
  // A child killed while we write to it must not fail the test with EPIPE.
  child.stdin?.on('error', () => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running = false;
      for (const wake of waiters) wake();
      resolve({ code, signal });
    });
  });

  return {
    process: child,
    pid: child.pid ?? -1,
    lines,
    exited,
    alive: () => running,
    stderr: () => err,
    send(command) {
      child.stdin?.write(`${JSON.stringify(command)}\n`);
    },
    endInput() {
      child.stdin?.end();
    },
    request(command, timeoutMs) {
      const from = lines.length;
      this.send(command);
      return this.next((line) => line.event === 'answer', timeoutMs, from);
    },
    next(match, timeoutMs = 20_000, from = 0) {
      return new Promise<Line>((resolve, reject) => {
        let seen = from;
        const check = () => {
          for (; seen < lines.length; seen++) {
            const line = lines[seen] as Line;
            if (match(line)) return done(() => resolve(line));
          }
          if (!running)
            done(() => reject(new Error(`child exited before the expected line; stderr:\n${err}`)));
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(
                new Error(
                  `no expected line within ${timeoutMs} ms; lines:\n${JSON.stringify(lines.slice(from))}\nstderr:\n${err}`,
                ),
              ),
            ),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
  };
}
