/**
 * What a live tail sends: polls the store from the high-water position (less the lag), sends each entry
 * once as new and again whenever a job's status or progress moves, follows running jobs, and decides by
 * each entry's own times which entries the client already has (see tail.ts for the start rule).
 */
import type { ResolvedFilter } from '../filters.js';
import { type EntryFields, projectEntry } from '../summary.js';
import type { ActivityEntry, ActivityStore, StoreQuery } from '../types.js';
import type { Position, PositionCodec } from './http.js';

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

/** What {@link createTailReader} needs. */
export interface TailReaderOptions {
  store: ActivityStore;
  orgId: string;
  /** The filter's axes, without its date bounds and statuses. */
  axes: Omit<ResolvedFilter, 'from' | 'to' | 'statuses'>;
  /** The statuses the viewer filters for (applied here, so a job is watched until it reaches one). */
  statuses: ResolvedFilter['statuses'];
  codec: PositionCodec;
  decorate: (entry: ActivityEntry) => ActivityEntry;
  fields: EntryFields;
  lagMs: number;
  maxReplay: number;
  jobLookbackMs: number;
  resumeFrom: Position | undefined;
  /** The millisecond the stream starts from, inclusive: the resume position's, else the one it opened in. */
  startMs: number;
  isStopped(): boolean;
  /** Queues an event's text for the client. */
  send(text: string): void;
}

/** The tail's reading state and its two steps: the jobs catch-up before the first poll, and a poll. */
export interface TailReader {
  /**
   * Before the first poll: finds the jobs started within the look-back before the start position. Running
   * ones are tracked, so their progress and end are sent even though they began before the connection.
   * On resume, those that moved while the client was away are sent again (without an id): still running
   * ones with their current progress, and those that ended after (or within the lag before) the client's
   * position. Re-sending a version the client has is harmless: clients replace entries by id.
   */
  catchUpJobs(resuming: boolean): Promise<void>;
  /** Sends what is new or changed since the last poll. */
  poll(first: boolean): Promise<void>;
}

/** A reader positioned at the stream's start. */
export function createTailReader(options: TailReaderOptions): TailReader {
  const { store, orgId, axes, statuses, codec, decorate, fields, lagMs, resumeFrom, startMs } = options;
  const { maxReplay, jobLookbackMs, isStopped, send } = options;
  const wanted = (e: ActivityEntry) => !statuses?.length || statuses.includes(e.status);
  /** Entries seen recently → the version sent (or '' when filtered out), so nothing is sent twice. */
  const seen = new Map<string, string>();
  /** IN_PROGRESS jobs to re-read on every poll. */
  const tracked = new Set<string>();
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
    while (out.length < limit && !isStopped()) {
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
      if (isStopped()) return;
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
      if (isStopped()) return;
      const known = seen.get(entry.id);
      if (known !== undefined) {
        if (known !== versionOf(entry)) await emit(entry, undefined);
        continue;
      }
      const position = { occurredAt: entry.occurredAt, id: entry.id };
      if (first && priorToStart(entry)) {
        // Before the resume point (or before the stream opened): the client has it already.
        seen.set(entry.id, versionOf(entry));
        if (entry.type === 'BACKGROUND_JOB' && entry.status === 'IN_PROGRESS' && tracked.size < MAX_TRACKED) {
          tracked.add(entry.id);
        }
        continue;
      }
      if (after(position, high)) high = position;
      await emit(entry, after(high, position) ? position : high);
    }
    for (const id of [...tracked]) {
      if (isStopped()) return;
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

  return { catchUpJobs, poll };
}
