/**
 * Flow control of one live-tail stream: when it stops (abort, cancel, a client that stopped reading),
 * queueing text without unbounded buffering, waiting for the client to read, and the poll-interval sleep
 * that a stop cuts short. `onClose` runs exactly once however the stream ends.
 */

/** What {@link createTailFlow} needs. */
export interface TailFlowOptions {
  /** The stream's high-water mark, in bytes. */
  highWaterMark: number;
  /** Bytes queued for a client that does not read beyond which the stream stops. */
  maxBacklog: number;
  /** How long a client may leave the queue full before the stream stops. */
  maxStallMs: number;
  signal: AbortSignal | undefined;
  onClose: (() => void) | undefined;
}

/** The stream's stop flag, queue and waits. */
export interface TailFlow {
  isStopped(): boolean;
  /** Stops the loop: ends a sleep or a wait for the client at once. */
  stop(): void;
  /** Called once the stream has ended: detaches from the signal and calls `onClose` (once). */
  finish(): void;
  /** The client read (the stream's `pull`): ends a wait in {@link TailFlow.drained}. */
  pulled(): void;
  /** Queues text for the client; stops the stream when the client has left too much unread. */
  send(controller: ReadableStreamDefaultController<Uint8Array>, text: string): void;
  /** Resolves true once the client has room again; false when stopped or stalled past maxStallMs. */
  drained(controller: ReadableStreamDefaultController<Uint8Array>): Promise<boolean>;
  /** Waits `ms`, or less when the stream stops meanwhile. */
  sleep(ms: number): Promise<void>;
}

/** The flow control of a new stream; listens to `signal` from now on. */
export function createTailFlow(options: TailFlowOptions): TailFlow {
  const { highWaterMark, maxBacklog, maxStallMs, signal } = options;
  const encoder = new TextEncoder();
  let stopped = false;
  /** Ends the current poll-interval sleep early. */
  let wakeSleep: (() => void) | undefined;
  /** Ends the current wait for the client to read: `true` when it read, `false` on stop. */
  let wakeDrain: ((drained: boolean) => void) | undefined;
  const stop = () => {
    stopped = true;
    wakeSleep?.();
    wakeDrain?.(false);
  };
  // An already-aborted signal never fires 'abort': without this check the loop (and its timers) would
  // run for a connection that is already gone.
  if (signal?.aborted) stopped = true;
  else signal?.addEventListener('abort', stop, { once: true });
  let closed = false;

  return {
    isStopped: () => stopped,
    stop,
    finish() {
      if (closed) return;
      closed = true;
      signal?.removeEventListener('abort', stop);
      options.onClose?.();
    },
    pulled() {
      wakeDrain?.(true);
    },
    send(controller, text) {
      if (stopped) return;
      controller.enqueue(encoder.encode(text));
      // A client that stopped reading must not make the server buffer without bound: stop here, so the
      // last id it will receive is the last one queued, and it resumes from there with Last-Event-ID.
      // (Bytes queued and not yet taken by the client: the high-water mark less the room left.)
      if (highWaterMark - (controller.desiredSize ?? 0) > maxBacklog) stop();
    },
    drained(controller) {
      return new Promise<boolean>((resolve) => {
        if (stopped || controller.desiredSize === null) return resolve(false);
        if (controller.desiredSize > 0) return resolve(true);
        const timer = setTimeout(() => settle(false), maxStallMs);
        const settle = (ok: boolean) => {
          clearTimeout(timer);
          wakeDrain = undefined;
          resolve(ok);
        };
        wakeDrain = settle;
      });
    },
    sleep(ms) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wakeSleep = undefined;
          resolve();
        }
        wakeSleep = done;
      });
    },
  };
}
