/**
 * The query client: typed calls to the handler's HTTP API, for browsers and Node 18+. Browser-safe and
 * small on purpose: only `fetch`, `URL`, `TextDecoder` and streams, no Node modules, no schema library.
 */

import type { CatalogLabels } from '../core/catalog.js';
import { ActivityError, type ActivityErrorCode } from '../errors.js';
import { serializeFilter } from '../filters.js';
import type {
  EntryProofResponse,
  IntegrityKeysResponse,
  IntegrityVerifyResponse,
} from '../integrity/types.js';
import type { ActivityEntrySummary, EntryFields } from '../summary.js';
import { decodeSummaryPage, type SummaryPage } from '../summaryPage.js';
import type { ActivityEntry, ActivityFilter, ActivityStatus, Facets, HistogramBucket } from '../types.js';

export type {
  EntryProofResponse,
  IntegrityKeysResponse,
  IntegrityVerifyResponse,
} from '../integrity/types.js';
export {
  type ActivityEntrySummary,
  ENTRY_FIELDS,
  type EntryFields,
  SUMMARY_FIELDS,
  SUMMARY_MAX_CHARS,
  type SummaryField,
  toSummary,
  type WebhookSummary,
} from '../summary.js';
export { decodeSummaryPage, type SummaryPage, type SummaryRow } from '../summaryPage.js';

/** Headers sent with every request (auth), or a function returning them (refreshed tokens). */
export type ClientHeaders =
  | Record<string, string>
  | (() => Record<string, string> | Promise<Record<string, string>>);

/** Options of {@link createActivityClient}. */
export interface ActivityClientOptions {
  /** URL the handler is mounted at, e.g. `/api/activity` or `https://app.example.com/api/activity`. */
  baseUrl: string;
  /** fetch implementation. @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
  /** Extra headers (auth). */
  headers?: ClientHeaders | undefined;
  /** Credentials mode for browser requests. @default 'same-origin' */
  credentials?: 'omit' | 'same-origin' | 'include' | undefined;
}

/**
 * A page of entries; pass `nextCursor` back as `cursor` for the next page (`null` at the end). Entries are
 * summaries unless the list asked for `fields: 'full'`.
 */
export interface EntryPage<E extends ActivityEntrySummary = ActivityEntrySummary> {
  entries: E[];
  nextCursor: string | null;
}

/** Arguments of {@link ActivityClient.list}: the filter, the page and the fields wanted. */
export type ListArgs<F extends EntryFields = EntryFields> = ActivityFilter & {
  cursor?: string | undefined;
  limit?: number | undefined;
  /** `summary` (the default: what a row shows) or `full` (every stored field, as `get` returns). */
  fields?: F | undefined;
};

/** Histogram answer: the bucket used and the counts. */
export interface Histogram {
  bucket: string;
  bucketMs: number;
  from: string;
  to: string;
  buckets: HistogramBucket[];
}

/** State of an async export. */
export interface ExportState {
  exportId: string;
  jobId: string;
  status: ActivityStatus;
  rows?: number | undefined;
  processed?: number | undefined;
  /** Signed download link, once ready. Fetch it with {@link ActivityClient.download}. */
  url?: string | undefined;
  expiresAt?: string | undefined;
  error?: string | undefined;
}

/** `exportCsv` outcome: the CSV itself, or an export started in the background (large sets). */
export type ExportCsvResult =
  | { kind: 'file'; response: Response; filename: string }
  | { kind: 'started'; exportId: string; jobId: string };

/** Callbacks of {@link ActivityClient.subscribe}. */
export interface TailHandlers {
  /** A new entry, or a newer version of a job already sent (same id), as a summary. */
  onEntry(entry: ActivityEntrySummary, eventId: string | undefined): void;
  /** A failure; `fatal` when the subscription stopped (401, 403, 400) rather than reconnecting. */
  onError?(error: ActivityError, fatal: boolean): void;
  /** The stream is (re)connected. */
  onOpen?(): void;
  /** Resume position (a previous event id): missed entries are replayed. */
  lastEventId?: string | undefined;
}

/** The query client. Every method rejects with an {@link ActivityError}. */
export interface ActivityClient {
  /** One page of entries, newest first: summaries, or full entries with `fields: 'full'`. */
  list(filter: ListArgs<'full'> & { fields: 'full' }): Promise<EntryPage<ActivityEntry>>;
  list(filter?: ListArgs<'summary'>): Promise<EntryPage>;
  /** One entry by id. */
  get(id: string): Promise<ActivityEntry>;
  /** Counts by type, status, actor and entity type. */
  facets(filter?: ActivityFilter): Promise<Facets>;
  /** Entries per time bucket (`1m`, `1h`, `1d` …; chosen from the range when omitted). */
  histogram(filter?: ActivityFilter, bucket?: string): Promise<Histogram>;
  /** The CSV for the filter, streamed; or the async export started when the set is large. */
  exportCsv(filter?: ActivityFilter): Promise<ExportCsvResult>;
  /** Starts an async export. */
  startExport(filter?: ActivityFilter): Promise<{ exportId: string; jobId: string }>;
  /** State of an async export. */
  getExport(id: string): Promise<ExportState>;
  /** Fetches a download link (with the auth headers): the CSV response. */
  download(url: string): Promise<Response>;
  /** Re-runs an entry; resolves with the new run's entry id. */
  retry(id: string): Promise<{ entryId: string }>;
  /** Labels and filter options for the UI (types, statuses, entity types, actions, jobs, providers). */
  catalog(): Promise<CatalogLabels>;
  /** An entry's inclusion proof, or `{ sealed: false }` until it is sealed (docs/integrity.md). */
  proof?(id: string): Promise<EntryProofResponse>;
  /** The public keys that sign digests, and the seal interval. */
  integrityKeys?(): Promise<IntegrityKeysResponse>;
  /** Verifies the viewer's organisation over the filter's time range. */
  verifyIntegrity?(filter?: ActivityFilter): Promise<IntegrityVerifyResponse>;
  /** Live tail of entries matching the filter; reconnects with Last-Event-ID. Returns unsubscribe. */
  subscribe(filter: ActivityFilter, handlers: TailHandlers): () => void;
}

const CODES: Record<number, ActivityErrorCode> = {
  400: 'INVALID_FILTER',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
};

async function toError(response: Response): Promise<ActivityError> {
  let body: { error?: { code?: ActivityErrorCode; message?: string; field?: string } } | undefined;
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // Not our JSON (a proxy's HTML page): fall back to the status.
  }
  const e = body?.error;
  return new ActivityError(
    e?.code ?? CODES[response.status] ?? 'HTTP',
    e?.message ?? `HTTP ${response.status}`,
    {
      field: e?.field,
      status: response.status,
    },
  );
}

/**
 * Creates the client.
 * @example const client = createActivityClient({ baseUrl: '/api/activity' });
 * const { entries, nextCursor } = await client.list({ types: ['BACKGROUND_JOB'], statuses: ['FAILED'] });
 */
export function createActivityClient(options: ActivityClientOptions): ActivityClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));

  const url = (path: string, params?: URLSearchParams) => {
    const q = params?.toString();
    return `${base}${path}${q ? `?${q}` : ''}`;
  };

  async function send(
    target: string,
    init: RequestInit = {},
    accept = 'application/json',
  ): Promise<Response> {
    const extra = typeof options.headers === 'function' ? await options.headers() : options.headers;
    let response: Response;
    try {
      response = await doFetch(target, {
        credentials: options.credentials ?? 'same-origin',
        ...init,
        headers: { accept, ...extra, ...(init.headers as Record<string, string> | undefined) },
      });
    } catch (cause) {
      if (init.signal?.aborted) throw cause;
      throw new ActivityError('NETWORK', `request failed: ${String(cause)}`, { cause });
    }
    if (!response.ok) throw await toError(response);
    return response;
  }

  const getJson = async <T>(path: string, params?: URLSearchParams, method = 'GET'): Promise<T> =>
    (await send(url(path, params), { method })).json() as Promise<T>;

  const id = (value: string) => encodeURIComponent(value);
  const startExport = (filter: ActivityFilter = {}) =>
    getJson<{ exportId: string; jobId: string }>('/exports', serializeFilter(filter), 'POST');

  return {
    list(filter: ListArgs = {}): Promise<EntryPage<ActivityEntry>> {
      const { cursor, limit, fields, ...rest } = filter;
      const params = serializeFilter(rest);
      if (cursor) params.set('cursor', cursor);
      if (limit !== undefined) params.set('limit', String(limit));
      if (fields === 'full') {
        params.set('fields', fields);
        return getJson<EntryPage<ActivityEntry>>('/entries', params);
      }
      // Summaries are asked for in the page's compact form (shared actors and actions, times in ms) and
      // decoded here. The overloads give callers the summary type; this body answers both shapes.
      params.set('fields', 'compact');
      return getJson<SummaryPage>('/entries', params).then(
        (page) => decodeSummaryPage(page) as EntryPage<ActivityEntry>,
      );
    },
    get: (entryId) => getJson(`/entries/${id(entryId)}`),
    facets: (filter = {}) => getJson('/facets', serializeFilter(filter)),
    histogram(filter = {}, bucket) {
      const params = serializeFilter(filter);
      if (bucket) params.set('bucket', bucket);
      return getJson('/histogram', params);
    },
    async exportCsv(filter = {}) {
      let response: Response;
      try {
        // The marker header proves the request is not a link or form on another site (the server checks it).
        response = await send(
          url('/export.csv', serializeFilter(filter)),
          { headers: { 'x-activity-request': '1' } },
          'text/csv, application/json',
        );
      } catch (error) {
        // 409: too many rows to stream; a background export is started with a POST instead.
        if ((error as ActivityError).status !== 409) throw error;
        const { exportId, jobId } = await startExport(filter);
        return { kind: 'started', exportId, jobId };
      }
      const disposition = response.headers.get('content-disposition') ?? '';
      const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'activity.csv';
      return { kind: 'file', response, filename };
    },
    startExport,
    getExport: (exportId) => getJson(`/exports/${id(exportId)}`),
    download: (link) => send(link, {}, 'text/csv'),
    retry: (entryId) => getJson(`/entries/${id(entryId)}/retry`, undefined, 'POST'),
    catalog: () => getJson('/catalog'),
    proof: (entryId) => getJson(`/entries/${id(entryId)}/proof`),
    integrityKeys: () => getJson('/integrity/keys'),
    verifyIntegrity: (filter = {}) => getJson('/integrity/verify', serializeFilter(filter)),
    subscribe(filter, handlers) {
      return tail(send, url('/tail', serializeFilter(filter)), handlers);
    },
  };
}

type Send = (target: string, init?: RequestInit, accept?: string) => Promise<Response>;

/** Runs the SSE loop over fetch's streaming body (EventSource cannot send auth headers). */
function tail(send: Send, target: string, handlers: TailHandlers): () => void {
  const controller = new AbortController();
  let lastEventId = handlers.lastEventId;
  let retryMs = 1000;
  let failures = 0;

  const dispatch = (event: string, data: string) => {
    if (event !== 'entry') return;
    try {
      handlers.onEntry(JSON.parse(data) as ActivityEntrySummary, lastEventId);
    } catch (cause) {
      handlers.onError?.(new ActivityError('HTTP', 'malformed tail event', { cause }), false);
    }
  };

  async function connect(): Promise<void> {
    const response = await send(
      target,
      {
        signal: controller.signal,
        headers: lastEventId ? { 'last-event-id': lastEventId } : {},
      },
      'text/event-stream',
    );
    if (!response.body) throw new ActivityError('HTTP', 'tail response has no body');
    failures = 0;
    handlers.onOpen?.();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let event = '';
    let data: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += value;
      let nl = buffer.search(/\r\n|\r|\n/);
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        nl = buffer.search(/\r\n|\r|\n/);
        if (line === '') {
          if (data.length) dispatch(event || 'message', data.join('\n'));
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (name === 'event') event = val;
        else if (name === 'data') data.push(val);
        else if (name === 'id' && !val.includes('\u0000')) lastEventId = val;
        else if (name === 'retry' && /^\d+$/.test(val)) retryMs = Number(val);
      }
    }
  }

  void (async () => {
    while (!controller.signal.aborted) {
      try {
        await connect();
      } catch (error) {
        if (controller.signal.aborted) return;
        const err =
          error instanceof ActivityError
            ? error
            : new ActivityError('NETWORK', String(error), { cause: error });
        // Auth and bad-filter errors will not fix themselves: stop instead of hammering the server. A 429
        // (too many tails open) may clear, so it backs off and retries.
        const fatal = err.status !== undefined && err.status >= 400 && err.status < 500 && err.status !== 429;
        handlers.onError?.(err, fatal);
        if (fatal) return;
        failures++;
      }
      if (controller.signal.aborted) return;
      // Back off on repeated failures, up to 30 s; a clean end reconnects after the server's retry hint.
      const delay = Math.min(30_000, retryMs * 2 ** Math.min(failures, 5));
      // The listener goes when the wait ends: the subscription's signal lives across every reconnect.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          controller.signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, delay);
        controller.signal.addEventListener('abort', done, { once: true });
      });
    }
  })();

  return () => controller.abort();
}
