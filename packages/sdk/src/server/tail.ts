/**
 * The live tail: a Server-Sent Events stream of new entries and of job updates, built by polling the
 * store (every store supports it, no pub/sub needed). Each `entry` event carries as `id` a signed
 * high-water position; a client that reconnects with it (`Last-Event-ID`) gets what it missed replayed,
 * job updates included.
 *
 * Where a stream starts is decided by each entry's own times, never by when a poll happened to run, so the
 * same entries are sent whatever the timing (see docs/http-api.md, "Live tail"):
 * - a fresh stream sends every entry that occurred in or after the millisecond it opened, and every entry
 *   recorded (`recordedAt`) in or after it (a backdated import); earlier ones present at its first poll are
 *   the client's already (its list);
 * - a resumed stream sends every entry in or after the millisecond of its `Last-Event-ID` except that entry.
 * The boundary millisecond is inclusive: an entry of that millisecond the client already had may come
 * twice (clients replace entries by id), none is skipped. Every store keeps `occurredAt` to the
 * millisecond and treats `from` as inclusive, so the same rule holds on each of them.
 */
import type { ResolvedFilter } from '../filters.js';
import type { EntryFields } from '../summary.js';
import type { ActivityEntry, ActivityStore } from '../types.js';
import type { Position, PositionCodec } from './http.js';
import { createTailFlow } from './tailFlow.js';
import { createTailReader } from './tailReader.js';

/** Options of {@link createTailStream}. */
export interface TailOptions {
  store: ActivityStore;
  orgId: string;
  /** The filter; its date bounds are ignored (the tail is live). */
  filter: ResolvedFilter;
  codec: PositionCodec;
  /**
   * Where to resume from (a decoded `Last-Event-ID`): entries from its millisecond on are sent, except
   * that entry. Absent → entries from the millisecond the stream opens (by `now`) on.
   */
  resumeFrom?: Position | undefined;
  /** Poll interval. @default 1000 */
  pollMs?: number | undefined;
  /** Interval of `: ping` comments that keep proxies from closing an idle stream. @default 15000 */
  heartbeatMs?: number | undefined;
  /**
   * How far behind the newest entry to keep looking: the recording pipeline batches, so an entry may
   * become visible after a newer one. @default 10000
   */
  lagMs?: number | undefined;
  /** Most entries replayed on resume; older missed entries are left to the list endpoint. @default 1000 */
  maxReplay?: number | undefined;
  /**
   * How far before the start (or resume) position to look for jobs to watch: jobs started within it that
   * are still running are followed, and on resume the ones that moved meanwhile are re-sent. @default 86400000
   */
  jobLookbackMs?: number | undefined;
  /** Maps an entry before it is sent (retryable flags). */
  decorate?: ((entry: ActivityEntry) => ActivityEntry) | undefined;
  /** What each `entry` event carries: the entry's summary, or the whole entry. @default 'summary' */
  fields?: EntryFields | undefined;
  /** Ends the stream when aborted (the request's signal). */
  signal?: AbortSignal | undefined;
  /**
   * Bytes queued for the client before the tail stops polling and waits for it to read (the stream's
   * high-water mark). @default 65536
   */
  highWaterMarkBytes?: number | undefined;
  /**
   * Bytes queued for a client that does not read beyond which the stream is closed; what was queued is
   * still delivered, and the client resumes with `Last-Event-ID`. @default 1048576
   */
  maxBacklogBytes?: number | undefined;
  /** How long a client may leave the queue full before the stream is closed. @default 60000 */
  maxStallMs?: number | undefined;
  /** Called once when the stream has ended, for whatever reason (connection accounting). */
  onClose?: (() => void) | undefined;
  /** Clock giving the opening instant of a fresh stream (tests pin it). @default () => new Date() */
  now?: (() => Date) | undefined;
}

/** A `text/event-stream` body for one viewer's tail. Ends cleanly on abort or when the reader cancels. */
export function createTailStream(options: TailOptions): ReadableStream<Uint8Array> {
  const pollMs = options.pollMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const now = options.now ?? (() => new Date());
  // Statuses are applied by the reader, not in the store query, so a job seen IN_PROGRESS is still watched
  // and sent once it reaches a status the viewer filters for (e.g. FAILED).
  const { from: _from, to: _to, statuses, ...axes } = options.filter;
  const highWaterMark = options.highWaterMarkBytes ?? 65_536;
  const flow = createTailFlow({
    highWaterMark,
    maxBacklog: Math.max(options.maxBacklogBytes ?? 1_048_576, highWaterMark),
    maxStallMs: options.maxStallMs ?? 60_000,
    signal: options.signal,
    onClose: options.onClose,
  });
  const resumeFrom = options.resumeFrom;
  /** The millisecond the stream starts from, inclusive: the resume position's, else the one it opened in. */
  const startMs = resumeFrom ? Date.parse(resumeFrom.occurredAt) : now().getTime();

  async function run(controller: ReadableStreamDefaultController<Uint8Array>) {
    const send = (text: string) => flow.send(controller, text);
    const reader = createTailReader({
      store: options.store,
      orgId: options.orgId,
      axes,
      statuses,
      codec: options.codec,
      decorate: options.decorate ?? ((e: ActivityEntry) => e),
      fields: options.fields ?? 'summary',
      lagMs: options.lagMs ?? 10_000,
      maxReplay: options.maxReplay ?? 1000,
      jobLookbackMs: options.jobLookbackMs ?? 86_400_000,
      resumeFrom,
      startMs,
      isStopped: flow.isStopped,
      send,
    });
    send(`retry: ${Math.max(1000, pollMs)}\n: connected\n\n`);
    let lastBeat = Date.now();
    let first = true;
    try {
      while (!flow.isStopped()) {
        // Pull-based: the store is not queried again until the client has taken what was sent.
        if (!(await flow.drained(controller))) break;
        try {
          if (first) await reader.catchUpJobs(resumeFrom !== undefined);
          await reader.poll(first);
          first = false;
        } catch {
          // A failed poll (store busy) is retried on the next tick rather than ending the stream.
          send(`event: error\ndata: ${JSON.stringify({ code: 'STORE_FAILED', message: 'poll failed' })}\n\n`);
        }
        if (Date.now() - lastBeat >= heartbeatMs) {
          send(': ping\n\n');
          lastBeat = Date.now();
        }
        if (flow.isStopped()) break;
        await flow.sleep(Math.min(pollMs, heartbeatMs));
      }
    } finally {
      try {
        controller.close();
      } catch {
        // Already cancelled by the reader.
      }
      flow.finish();
    }
  }

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        // Not awaited: the loop lives as long as the stream, and start() must return for reads to flow.
        void run(controller).catch(flow.finish);
      },
      pull() {
        flow.pulled();
      },
      cancel() {
        flow.stop();
      },
    },
    { highWaterMark, size: (chunk) => chunk.byteLength },
  );
}
