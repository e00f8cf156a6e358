/**
 * CSV export of the log: streamed for small sets, a background job writing a file plus a signed,
 * expiring download link for large ones. Every export is itself recorded in the log.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, open as openFile, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { ActivityRecorder } from '../core/api.js';
import { ActivityError } from '../errors.js';
import type { ResolvedFilter } from '../filters.js';
import type { ActivityStatus, ActivityStore, Actor, StoreQuery, Viewer } from '../types.js';
import { cellRowsToCsv } from './csv.js';
import { csvPagesOf } from './csvPages.js';
import { assertSecret, signExportToken, verifyExportToken } from './signing.js';

/** Job name of async exports in the log. */
export const EXPORT_JOB_NAME = 'EXPORT_ACTIVITY_CSV';
/** Action of the USER_ACTION entry recorded for every export. */
export const EXPORT_ACTION = 'activity.exported';
/** Action recorded when an async export's file is downloaded. */
export const EXPORT_DOWNLOAD_ACTION = 'activity.export_downloaded';

/** What the `notify` hook receives when an async export is ready (the host sends the email). */
export interface ExportNotice {
  orgId: string;
  userId: string;
  exportId: string;
  /** `${downloadBaseUrl}/exports/${exportId}/download?token=…`; works only for a signed-in viewer of the org. */
  url: string;
  /** ISO time the link stops working. */
  expiresAt: string;
  rows: number;
  filter: ResolvedFilter;
}

/** State of an async export, as `GET /exports/:id` reports it. */
export interface ExportStatus {
  exportId: string;
  jobId: string;
  status: ActivityStatus;
  rows?: number | undefined;
  processed?: number | undefined;
  url?: string | undefined;
  expiresAt?: string | undefined;
  error?: string | undefined;
}

/** The exporter the HTTP handler calls. */
export interface Exporter {
  /** Row count above which the handler should use {@link Exporter.start} instead of {@link Exporter.stream}. */
  asyncThreshold: number;
  /** Number of entries the filter selects in the viewer's org. */
  count(viewer: Viewer, filter: ResolvedFilter): Promise<number>;
  /** The CSV, streamed page by page in constant memory; recorded as `activity.exported` when it ends. */
  stream(viewer: Viewer, filter: ResolvedFilter): ReadableStream<Uint8Array>;
  /** Starts a background export job; `notify` gets the link once the file is written. */
  start(
    viewer: Viewer,
    filter: ResolvedFilter,
    downloadBaseUrl: string,
  ): Promise<{ exportId: string; jobId: string }>;
  /** State of one export of the viewer's org, or undefined. */
  status(viewer: Viewer, exportId: string): Promise<ExportStatus | undefined>;
  /**
   * The finished file of export `exportId` for a valid token of the viewer's org naming that export, or
   * undefined for anything wrong (nothing is recorded then). Recorded as `activity.export_downloaded`.
   */
  open(
    viewer: Viewer,
    token: string,
    exportId: string,
  ): Promise<{ filename: string; stream: ReadableStream<Uint8Array> } | undefined>;
  /**
   * Deletes the files and manifests of exports past their expiry (and of failed or abandoned ones older
   * than the link lifetime); resolves with how many exports were removed. Also runs on its own, at most
   * once a minute (or per `linkTtlMs` if shorter), when exports are started or opened.
   */
  sweep(): Promise<number>;
}

/** Options of {@link createExporter}. */
export interface ExporterOptions {
  store: ActivityStore;
  /** Records the export entries and runs the export job. */
  activity: ActivityRecorder;
  /** HMAC key signing download links; at least 16 characters (32 random bytes recommended). */
  secret: string;
  /**
   * Folder holding async export files, created with mode 0700. The default is refused unless this process
   * owns it and no one else can read it (another user may have created it first in a shared /tmp).
   * @default `${os.tmpdir()}/activity-exports-${uid}`
   */
  dir?: string | undefined;
  /** Row count above which exports run as a background job. @default 10_000 */
  asyncThreshold?: number | undefined;
  /** Lifetime of a download link. @default 86_400_000 (24 hours) */
  linkTtlMs?: number | undefined;
  /** Receives the download link of a finished async export. A throw turns the job into WARNING. */
  notify?: ((notice: ExportNotice) => void | Promise<void>) | undefined;
  /** Clock, for tests. @default () => new Date() */
  now?: (() => Date) | undefined;
}

/** On-disk record of an async export, next to its file. */
interface Manifest {
  exportId: string;
  jobId: string;
  orgId: string;
  userId: string;
  status: ActivityStatus;
  filter: ResolvedFilter;
  /** Random file name, unrelated to the export id. */
  file: string;
  createdAt: string;
  total?: number | undefined;
  rows?: number | undefined;
  bytes?: number | undefined;
  url?: string | undefined;
  expiresAt?: string | undefined;
  error?: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The only file names {@link createExporter} generates; a manifest naming anything else is not trusted. */
const EXPORT_FILE = /^[0-9a-f]{32}\.csv\.gz$/;
const MANIFEST_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/;
/** What a failed export reports to the client; the cause stays in the job entry's error. */
export const EXPORT_FAILED_MESSAGE = 'the export failed; the job entry in the activity log has the details';
/** Least time between two automatic sweeps. */
const SWEEP_INTERVAL_MS = 60_000;

/** Copies only the filter axes, so a crafted filter cannot smuggle `orgId`, `after` or `limit` into the query. */
export function pickFilter(filter: ResolvedFilter): ResolvedFilter {
  const out: ResolvedFilter = {};
  if (filter.types?.length) out.types = [...filter.types];
  if (filter.statuses?.length) out.statuses = [...filter.statuses];
  if (filter.actorIds?.length) out.actorIds = [...filter.actorIds];
  if (filter.entityTypes?.length) out.entityTypes = [...filter.entityTypes];
  for (const key of ['entityId', 'from', 'to', 'correlationId', 'q'] as const) {
    const v = filter[key];
    if (typeof v === 'string' && v !== '') out[key] = v;
  }
  return out;
}

function viewerActor(viewer: Viewer): Actor {
  return { kind: 'user', id: viewer.userId, name: viewer.name };
}

function assertCanExport(viewer: Viewer): void {
  if (!viewer?.orgId || !viewer.userId) {
    throw new ActivityError('UNAUTHORIZED', 'viewer: orgId and userId are required', {
      field: 'viewer',
      status: 401,
    });
  }
  if (!viewer.permissions?.includes('export')) {
    throw new ActivityError('FORBIDDEN', 'permissions: the viewer lacks the "export" permission', {
      field: 'permissions',
      status: 403,
    });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Wraps a Node readable in a pull-based web stream (read only as fast as the consumer reads). */
function toWebStream(source: AsyncIterable<Buffer>): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else
          controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 1 },
  );
}

function positiveInt(value: number | undefined, fallback: number, field: string, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new ActivityError('CONFIG', `${field}: must be an integer of at least ${min}`, { field });
  }
  return value;
}

/**
 * Creates the exporter behind the handler's export endpoints.
 * @example const exporter = createExporter({ store, activity, secret: process.env.EXPORT_SECRET!, notify: sendEmail });
 */
export function createExporter(opts: ExporterOptions): Exporter {
  assertSecret(opts.secret);
  if (!opts.store) throw new ActivityError('CONFIG', 'store: required', { field: 'store' });
  if (!opts.activity)
    throw new ActivityError('CONFIG', 'activity: required (the recorder audits exports)', {
      field: 'activity',
    });
  const { store, activity, secret, notify } = opts;
  const now = opts.now ?? (() => new Date());
  // `globalThis.process`: the handler also runs in browsers (mocked APIs), where there is no process.
  const getuid = (globalThis as { process?: { getuid?: () => number } }).process?.getuid;
  const uid = typeof getuid === 'function' ? getuid() : undefined;
  const defaultDir = opts.dir === undefined;
  const dir = resolve(
    opts.dir ?? join(tmpdir(), uid === undefined ? 'activity-exports' : `activity-exports-${uid}`),
  );
  const asyncThreshold = positiveInt(opts.asyncThreshold, 10_000, 'asyncThreshold', 0);
  const linkTtlMs = positiveInt(opts.linkTtlMs, 86_400_000, 'linkTtlMs', 1);
  /** Rows written so far by running jobs of this process (progress between store updates). */
  const running = new Map<string, number>();

  // Paths come only from validated UUIDs and random hex names, so nothing from a request reaches the file system.
  const manifestPath = (exportId: string) => join(dir, `${exportId}.json`);

  let dirReady: Promise<void> | undefined;
  /** Creates the folder once; refuses a default folder someone else owns or can read. */
  function ensureDir(): Promise<void> {
    dirReady ??= (async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const info = await lstat(dir);
      if (!info.isDirectory()) {
        throw new ActivityError('CONFIG', `exports.dir: ${dir} is not a directory`, { field: 'dir' });
      }
      if (defaultDir && uid !== undefined && (info.uid !== uid || (info.mode & 0o077) !== 0)) {
        throw new ActivityError(
          'CONFIG',
          `exports.dir: refusing the default ${dir}: it is not owned by this process (uid ${uid}) with mode 0700; pass exports.dir`,
          { field: 'dir' },
        );
      }
    })();
    // A failed check is retried next time (the host may fix the folder without restarting).
    dirReady.catch(() => {
      dirReady = undefined;
    });
    return dirReady;
  }

  async function readManifest(exportId: string): Promise<Manifest | undefined> {
    if (typeof exportId !== 'string' || !UUID.test(exportId)) return undefined;
    let m: Manifest;
    try {
      m = JSON.parse(await readFile(manifestPath(exportId), 'utf8')) as Manifest;
    } catch {
      return undefined;
    }
    // The manifest names the file read and deleted: anything but a name this module generates (a path,
    // `..`, another export's id) is refused, whoever wrote the manifest.
    if (
      typeof m !== 'object' ||
      m === null ||
      m.exportId !== exportId ||
      typeof m.orgId !== 'string' ||
      typeof m.file !== 'string' ||
      !EXPORT_FILE.test(m.file)
    ) {
      return undefined;
    }
    return m;
  }

  /** Deletes an export's file, a leftover `.part`, and its manifest. */
  async function remove(m: Manifest): Promise<void> {
    await rm(join(dir, m.file), { force: true });
    await rm(join(dir, `${m.file}.part`), { force: true });
    await rm(manifestPath(m.exportId), { force: true });
  }

  let sweeping: Promise<number> | undefined;
  let lastSweep = Number.NEGATIVE_INFINITY;
  async function sweepNow(): Promise<number> {
    await ensureDir();
    const nowMs = now().getTime();
    lastSweep = nowMs;
    let removed = 0;
    for (const name of await readdir(dir)) {
      const exportId = MANIFEST_FILE.exec(name)?.[1];
      if (!exportId || running.has(exportId)) continue;
      const m = await readManifest(exportId);
      if (!m) continue;
      const expired =
        m.status === 'SUCCESS' || m.status === 'WARNING'
          ? m.expiresAt === undefined || Date.parse(m.expiresAt) <= nowMs
          : // Failed, or left IN_PROGRESS by a process that stopped: nothing to download, kept a while for status().
            Date.parse(m.createdAt) + linkTtlMs <= nowMs;
      if (!expired) continue;
      await remove(m);
      removed++;
    }
    return removed;
  }
  /** One sweep at a time; concurrent callers share it. */
  function sweep(): Promise<number> {
    sweeping ??= sweepNow().finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  }
  /** The automatic sweep: at most once a minute (or per link lifetime), in the background, never failing the request. */
  function autoSweep(): void {
    // Never more often than links expire, so short-lived links do not wait a full minute for clean-up.
    if (now().getTime() - lastSweep < Math.min(SWEEP_INTERVAL_MS, linkTtlMs)) return;
    sweep().catch(() => undefined);
  }

  async function writeManifest(manifest: Manifest): Promise<void> {
    // Write then rename, so a reader never sees half a manifest.
    const tmp = `${manifestPath(manifest.exportId)}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(manifest), { mode: 0o600 });
    await rename(tmp, manifestPath(manifest.exportId));
  }

  const queryFor = (viewer: Viewer, filter: ResolvedFilter): StoreQuery => ({
    ...pickFilter(filter ?? {}),
    // The org comes from the viewer only, never from the filter.
    orgId: viewer.orgId,
  });

  async function runJob(
    manifest: Manifest,
    run: ReturnType<ActivityRecorder['job']>,
    viewer: Viewer,
    base: string,
  ) {
    const part = join(dir, `${manifest.file}.part`);
    let rows = 0;
    let bytes = 0;
    try {
      const csv = cellRowsToCsv(csvPagesOf(store, queryFor(viewer, manifest.filter)), {
        onPage: (n) => {
          rows = n;
          running.set(manifest.exportId, n);
          run.progress(n, manifest.total);
        },
        onEnd: (n) => {
          rows = n;
        },
      });
      await pipeline(
        async function* () {
          for await (const chunk of csv as unknown as AsyncIterable<Uint8Array>) {
            bytes += chunk.byteLength;
            yield chunk;
          }
        },
        createGzip(),
        createWriteStream(part, { mode: 0o600 }),
      );
      await rename(part, join(dir, manifest.file));
      const expiresAtMs = now().getTime() + linkTtlMs;
      const token = signExportToken(
        { exportId: manifest.exportId, orgId: manifest.orgId, expiresAt: expiresAtMs },
        secret,
      );
      const url = `${base.replace(/\/+$/, '')}/exports/${manifest.exportId}/download?token=${encodeURIComponent(token)}`;
      const expiresAt = new Date(expiresAtMs).toISOString();
      Object.assign(manifest, { status: 'SUCCESS', rows, bytes, url, expiresAt } satisfies Partial<Manifest>);
      await writeManifest(manifest);
      run.progress(rows, manifest.total ?? rows);
      activity.record({
        type: 'USER_ACTION',
        action: EXPORT_ACTION,
        orgId: manifest.orgId,
        actor: viewerActor(viewer),
        summary: `Exported ${rows} entries to CSV (background job)`,
        metadata: { filter: manifest.filter, rows, exportId: manifest.exportId, async: true },
        parentId: run.id,
      });
      try {
        await notify?.({
          orgId: manifest.orgId,
          userId: manifest.userId,
          exportId: manifest.exportId,
          url,
          expiresAt,
          rows,
          filter: manifest.filter,
        });
        await run.succeed({ rows, bytes, exportId: manifest.exportId, expiresAt });
      } catch (error) {
        // The file is ready and status() still hands out the link, so this is a caveat, not a failure.
        await run.warn(`notify failed: ${errorMessage(error)}`, {
          rows,
          bytes,
          exportId: manifest.exportId,
          expiresAt,
        });
      }
    } catch (error) {
      await rm(part, { force: true }).catch(() => undefined);
      Object.assign(manifest, {
        status: 'FAILED',
        rows,
        // Status is served to the client: a store or file-system message may name paths or tables.
        error: EXPORT_FAILED_MESSAGE,
      } satisfies Partial<Manifest>);
      await writeManifest(manifest).catch(() => undefined);
      await run.fail(error, { exportId: manifest.exportId, processed: rows });
    } finally {
      running.delete(manifest.exportId);
    }
  }

  async function count(viewer: Viewer, filter: ResolvedFilter): Promise<number> {
    assertCanExport(viewer);
    return (await store.facets(queryFor(viewer, filter))).total;
  }

  // Files left by an earlier run may be long expired: clear them now (in the background: construction is sync).
  autoSweep();

  return {
    asyncThreshold,
    count,
    sweep,

    stream(viewer, filter) {
      assertCanExport(viewer);
      const clean = pickFilter(filter ?? {});
      const audit = (rows: number, status: ActivityStatus, error?: unknown) => {
        activity.record({
          type: 'USER_ACTION',
          action: EXPORT_ACTION,
          orgId: viewer.orgId,
          actor: viewerActor(viewer),
          status,
          summary:
            status === 'SUCCESS'
              ? `Exported ${rows} entries to CSV`
              : `CSV export stopped after ${rows} entries`,
          metadata: { filter: clean, rows, async: false },
          error,
        });
      };
      return cellRowsToCsv(csvPagesOf(store, queryFor(viewer, clean)), {
        onEnd: (rows) => audit(rows, 'SUCCESS'),
        // A download the client abandoned still exported data: record it, with a caveat.
        onAbort: (rows, reason, cancelled) =>
          cancelled ? audit(rows, 'WARNING') : audit(rows, 'FAILED', reason),
      });
    },

    async start(viewer, filter, downloadBaseUrl) {
      assertCanExport(viewer);
      if (typeof downloadBaseUrl !== 'string' || !/^https?:\/\//i.test(downloadBaseUrl)) {
        throw new ActivityError('CONFIG', 'downloadBaseUrl: must be an absolute http(s) URL', {
          field: 'downloadBaseUrl',
        });
      }
      const clean = pickFilter(filter ?? {});
      await ensureDir();
      autoSweep();
      const total = await count(viewer, clean);
      const exportId = randomUUID();
      const run = activity.job(EXPORT_JOB_NAME, {
        orgId: viewer.orgId,
        actor: viewerActor(viewer),
        summary: `CSV export of ${total} entries`,
        metadata: { exportId, filter: clean },
        total,
      });
      const manifest: Manifest = {
        exportId,
        jobId: run.id,
        orgId: viewer.orgId,
        userId: viewer.userId,
        status: 'IN_PROGRESS',
        filter: clean,
        file: `${randomBytes(16).toString('hex')}.csv.gz`,
        createdAt: now().toISOString(),
        total,
      };
      await writeManifest(manifest);
      running.set(exportId, 0);
      // Runs in the background; every failure ends in run.fail, so nothing escapes unhandled.
      void runJob(manifest, run, viewer, downloadBaseUrl);
      return { exportId, jobId: run.id };
    },

    async status(viewer, exportId) {
      if (!viewer?.orgId) return undefined;
      const m = await readManifest(exportId);
      if (!m || m.orgId !== viewer.orgId) return undefined;
      const expired = m.expiresAt !== undefined && Date.parse(m.expiresAt) <= now().getTime();
      return {
        exportId: m.exportId,
        jobId: m.jobId,
        status: m.status,
        rows: m.rows,
        processed: running.get(m.exportId) ?? m.rows,
        url: expired ? undefined : m.url,
        expiresAt: m.expiresAt,
        error: m.error,
      };
    },

    async open(viewer, token, exportId) {
      if (!viewer?.orgId || !viewer.permissions?.includes('export')) return undefined;
      const claims = verifyExportToken(token, viewer.orgId, secret, now());
      autoSweep();
      // The link names the export twice (path and token): a token serves only the export it was signed for.
      if (!claims || claims.exportId !== exportId) return undefined;
      const m = await readManifest(claims.exportId);
      if (!m || m.orgId !== viewer.orgId || m.status !== 'SUCCESS' || m.expiresAt === undefined)
        return undefined;
      if (Date.parse(m.expiresAt) !== claims.expiresAt || Date.parse(m.expiresAt) <= now().getTime())
        return undefined;
      let handle: Awaited<ReturnType<typeof openFile>>;
      try {
        handle = await openFile(join(dir, m.file), 'r');
      } catch {
        return undefined;
      }
      const gunzip = createGunzip();
      // Errors on either side destroy the gunzip stream, which the web stream then reports.
      pipeline(handle.createReadStream(), gunzip).catch(() => undefined);
      activity.record({
        type: 'USER_ACTION',
        action: EXPORT_DOWNLOAD_ACTION,
        orgId: viewer.orgId,
        actor: viewerActor(viewer),
        summary: 'Downloaded a CSV export',
        metadata: { exportId: m.exportId, rows: m.rows },
      });
      return {
        filename: `activity-export-${m.createdAt.slice(0, 10)}-${m.exportId.slice(0, 8)}.csv`,
        stream: toWebStream(gunzip),
      };
    },
  };
}

// Re-exported so `@activity/sdk/server` (which re-exports this module) offers the CSV, paging and signing
// helpers, and so code importing the pages from this module keeps working.
export {
  CSV_COLUMNS,
  type CsvOptions,
  type CsvRowPages,
  cellRowsToCsv,
  entriesToCsv,
  entryToRow,
  neutralizeCell,
} from './csv.js';
export { csvPagesOf, EXPORT_PAGE_SIZE, pagesOf } from './csvPages.js';
export { type ExportTokenClaims, signExportToken, verifyExportToken } from './signing.js';
