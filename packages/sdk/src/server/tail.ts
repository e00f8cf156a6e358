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
import { type EntryFields, projectEntry } from '../summary.js';
import type { ActivityEntry, ActivityStore, StoreQuery } from '../types.js';
import type { Position, PositionCodec } from './http.js';

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

const PAGE = 200;
/** Most IN_PROGRESS jobs one connection watches for updates. */
const MAX_TRACKED = 500;

/**
 * Newest-first keyset order by (occurredAt, id), comparing instants rather than text: a store may spell
 * the same millisecond differently (offset, digits), and text order breaks past year 9999.
 */
const after = (a: Position, b: Position) => {
  const am = Date.parse(a.occurredAt);
  const bm = Date.parse(b.occurredAt);
  return am > bm || (am === bm && a.id > b.id);
};

/** The version of an entry a client has: changes when a job's status or progress moves. */
const versionOf = (e: ActivityEntry) =>
  `${e.status}|${e.progress?.processed ?? ''}|${e.progress?.total ?? ''}|${e.completedAt ?? ''}`;

/** A `text/event-stream` body for one viewer's tail. Ends cleanly on abort or when the reader cancels. */
export function createTailStream(options: TailOptions): ReadableStream<Uint8Array> {
  const { store, orgId, codec } = options;
  const pollMs = options.pollMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const lagMs = options.lagMs ?? 10_000;
  const maxReplay = options.maxReplay ?? 1000;
  const jobLookbackMs = options.jobLookbackMs ?? 86_400_000;
  const now = options.now ?? (() => new Date());
  const decorate = options.decorate ?? ((e: ActivityEntry) => e);
  const fields = options.fields ?? 'summary';
  // Statuses are applied here, not in the store query, so a job seen IN_PROGRESS is still watched
  // and sent once it reaches a status the viewer filters for (e.g. FAILED).
  const { from: _from, to: _to, statuses, ...axes } = options.filter;
  const wanted = (e: ActivityEntry) => !statuses?.length || statuses.includes(e.status);
  const encoder = new TextEncoder();

  const highWaterMark = options.highWaterMarkBytes ?? 65_536;
  const maxBacklog = Math.max(options.maxBacklogBytes ?? 1_048_576, highWaterMark);
  const maxStallMs = options.maxStallMs ?? 60_000;

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
  if (options.signal?.aborted) stopped = true;
  else options.signal?.addEventListener('abort', stop, { once: true });
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    options.signal?.removeEventListener('abort', stop);
    options.onClose?.();
  };

  /** Entries seen recently → the version sent (or '' when filtered out), so nothing is sent twice. */
  const seen = new Map<string, string>();
  /** IN_PROGRESS jobs to re-read on every poll. */
  const tracked = new Set<string>();
  const resumeFrom = options.resumeFrom;
  /** The millisecond the stream starts from, inclusive: the resume position's, else the one it opened in. */
  const startMs = resumeFrom ? Date.parse(resumeFrom.occurredAt) : now().getTime();
  /**
   * True for an entry the client has already: before the start millisecond (and, on a fresh start,
   * recorded before it too), or the resume entry itself. Decided by the entry alone, so the answer does
   * not depend on whether it was committed before or after the first poll.
   */
  const priorToStart = (e: ActivityEntry): boolean => {
    if (resumeFrom) return e.id === resumeFrom.id || Date.parse(e.occurredAt) < startMs;
    return Date.parse(e.occurredAt) < startMs && !(Date.parse(e.recordedAt) >= startMs);
  };
  /** Newest position sent; starts at the lowest position of the start millisecond. */
  let high: Position = resumeFrom ?? { occurredAt: new Date(startMs).toISOString(), id: '' };

  async function scan(
    fromMs: number,
    limit: number,
    narrow: Partial<StoreQuery> = {},
  ): Promise<ActivityEntry[]> {
    const out: ActivityEntry[] = [];
    let cursor: Position | undefined;
    while (out.length < limit && !stopped) {
      const page = await store.query({
        ...axes,
        ...narrow,
        orgId,
        from: new Date(fromMs).toISOString(),
        limit: PAGE,
        after: cursor,
      });
      out.push(...page.entries);
      if (!page.next) break;
      cursor = page.next;
    }
    return out;
  }

  async function run(controller: ReadableStreamDefaultController<Uint8Array>) {
    /** Bytes queued and not yet taken by the client. */
    const backlog = () => highWaterMark - (controller.desiredSize ?? 0);
    const send = (text: string) => {
      if (stopped) return;
      controller.enqueue(encoder.encode(text));
      // A client that stopped reading must not make the server buffer without bound: stop here, so the
      // last id it will receive is the last one queued, and it resumes from there with Last-Event-ID.
      if (backlog() > maxBacklog) stop();
    };
    /** Resolves true once the client has room again; false when stopped or stalled past maxStallMs. */
    const drained = () =>
      new Promise<boolean>((resolve) => {
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
    /**
     * Sends an entry; `id` is the position a client resuming after it must start from. An entry older than
     * the high-water mark (a late arrival) carries its own position, not the mark: newer late arrivals of
     * the same poll may still be unsent when the stream ends, and resuming from the mark would skip them.
     */
    const emit = async (entry: ActivityEntry, id: Position | undefined) => {
      seen.set(entry.id, versionOf(entry));
      if (entry.type === 'BACKGROUND_JOB' && entry.status === 'IN_PROGRESS') {
        if (tracked.size < MAX_TRACKED) tracked.add(entry.id);
      } else {
        tracked.delete(entry.id);
      }
      if (!wanted(entry)) return;
      // Job updates carry no id: the client's Last-Event-ID stays the high-water mark of new entries.
      const idLine = id ? `id: ${await codec.encode(orgId, id)}\n` : '';
      send(`event: entry\n${idLine}data: ${JSON.stringify(projectEntry(decorate(entry), fields))}\n\n`);
    };

    /**
     * Before the first poll: finds the jobs started within the look-back before the start position. Running
     * ones are tracked, so their progress and end are sent even though they began before the connection.
     * On resume, those that moved while the client was away are sent again (without an id): still running
     * ones with their current progress, and those that ended after (or within the lag before) the client's
     * position. Re-sending a version the client has is harmless: clients replace entries by id.
     */
    async function catchUpJobs(resuming: boolean) {
      if (axes.types?.length && !axes.types.includes('BACKGROUND_JOB')) return;
      const startMs = Date.parse(high.occurredAt);
      const jobs = await scan(startMs - jobLookbackMs, maxReplay, {
        types: ['BACKGROUND_JOB'],
        to: high.occurredAt,
      });
      // Ended after this instant: the client cannot have seen the end (the lag covers batching).
      const endedAfter = startMs - lagMs;
      for (const job of jobs.reverse()) {
        if (stopped) return;
        // A job from the start millisecond on is a new entry: the first poll sends it, with an id.
        if (!priorToStart(job)) continue;
        const running = job.status === 'IN_PROGRESS';
        const endedLate = job.completedAt !== undefined && Date.parse(job.completedAt) >= endedAfter;
        if (resuming && (running || endedLate)) {
          await emit(job, undefined);
        } else if (running) {
          seen.set(job.id, versionOf(job));
          if (tracked.size < MAX_TRACKED) tracked.add(job.id);
        }
      }
    }

    async function poll(first: boolean) {
      const fromMs = Date.parse(high.occurredAt) - lagMs;
      // A fresh start reads the whole look-back, like every later poll: an entry it did not read would be
      // taken for a late arrival by the next poll and sent although the client has it.
      const found = await scan(fromMs, first && resumeFrom ? maxReplay : Number.POSITIVE_INFINITY);
      // Oldest first, so the client receives them in the order they happened.
      found.reverse();
      for (const entry of found) {
        if (stopped) return;
        const known = seen.get(entry.id);
        if (known !== undefined) {
          if (known !== versionOf(entry)) await emit(entry, undefined);
          continue;
        }
        const position = { occurredAt: entry.occurredAt, id: entry.id };
        if (first && priorToStart(entry)) {
          // Before the resume point (or before the stream opened): the client has it already.
          seen.set(entry.id, versionOf(entry));
          if (
            entry.type === 'BACKGROUND_JOB' &&
            entry.status === 'IN_PROGRESS' &&
            tracked.size < MAX_TRACKED
          ) {
            tracked.add(entry.id);
          }
          continue;
        }
        if (after(position, high)) high = position;
        await emit(entry, after(high, position) ? position : high);
      }
      for (const id of [...tracked]) {
        if (stopped) return;
        if (found.some((e) => e.id === id)) continue;
        const entry = await store.get(orgId, id);
        if (entry === undefined) tracked.delete(id);
        else if (seen.get(id) !== versionOf(entry)) await emit(entry, undefined);
      }
      // Forget what fell out of the look-back window; tracked jobs keep their own record.
      const horizon = Date.parse(high.occurredAt) - 2 * lagMs;
      for (const entry of found) {
        if (Date.parse(entry.occurredAt) < horizon && !tracked.has(entry.id)) seen.delete(entry.id);
      }
    }

    send(`retry: ${Math.max(1000, pollMs)}\n: connected\n\n`);
    let lastBeat = Date.now();
    let first = true;
    try {
      while (!stopped) {
        // Pull-based: the store is not queried again until the client has taken what was sent.
        if (!(await drained())) break;
        try {
          if (first) await catchUpJobs(options.resumeFrom !== undefined);
          await poll(first);
          first = false;
        } catch {
          // A failed poll (store busy) is retried on the next tick rather than ending the stream.
          send(`event: error\ndata: ${JSON.stringify({ code: 'STORE_FAILED', message: 'poll failed' })}\n\n`);
        }
        if (Date.now() - lastBeat >= heartbeatMs) {
          send(': ping\n\n');
          lastBeat = Date.now();
        }
        if (stopped) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.min(pollMs, heartbeatMs));
          function done() {
            clearTimeout(timer);
            wakeSleep = undefined;
            resolve();
          }
          wakeSleep = done;
        });
      }
    } finally {
      try {
        controller.close();
      } catch {
        // Already cancelled by the reader.
      }
      finish();
    }
  }

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        // Not awaited: the loop lives as long as the stream, and start() must return for reads to flow.
        void run(controller).catch(finish);
      },
      pull() {
        wakeDrain?.(true);
      },
      cancel() {
        stop();
      },
    },
    { highWaterMark, size: (chunk) => chunk.byteLength },
  );
}
