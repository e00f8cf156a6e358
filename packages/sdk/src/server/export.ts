/**
 * CSV export of the log: streamed for small sets, a background job writing a file plus a signed,
 * expiring download link for large ones. Every export is itself recorded in the log.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ActivityRecorder } from '../core/api.js';
import { ActivityError } from '../errors.js';
import type { ResolvedFilter } from '../filters.js';
import type { ActivityStatus, ActivityStore, StoreQuery, Viewer } from '../types.js';
import { cellRowsToCsv } from './csv.js';
import { csvPagesOf } from './csvPages.js';
import { EXPORT_ACTION, EXPORT_DOWNLOAD_ACTION, EXPORT_JOB_NAME, viewerActor } from './exportAudit.js';
import { createExportFolder, exportDir, type Manifest } from './exportFolder.js';
import { runExportJob } from './exportJob.js';
import { assertSecret, verifyExportToken } from './signing.js';

export {
  EXPORT_ACTION,
  EXPORT_DOWNLOAD_ACTION,
  EXPORT_FAILED_MESSAGE,
  EXPORT_JOB_NAME,
} from './exportAudit.js';

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
  const location = exportDir(opts.dir);
  const asyncThreshold = positiveInt(opts.asyncThreshold, 10_000, 'asyncThreshold', 0);
  const linkTtlMs = positiveInt(opts.linkTtlMs, 86_400_000, 'linkTtlMs', 1);
  /** Rows written so far by running jobs of this process (progress between store updates). */
  const running = new Map<string, number>();
  const folder = createExportFolder({ location, linkTtlMs, now, running });
  const jobDeps = { store, activity, secret, notify, now, linkTtlMs, folder, running };

  const queryFor = (viewer: Viewer, filter: ResolvedFilter): StoreQuery => ({
    ...pickFilter(filter ?? {}),
    // The org comes from the viewer only, never from the filter.
    orgId: viewer.orgId,
  });

  async function count(viewer: Viewer, filter: ResolvedFilter): Promise<number> {
    assertCanExport(viewer);
    return (await store.facets(queryFor(viewer, filter))).total;
  }

  // Files left by an earlier run may be long expired: clear them now (in the background: construction is sync).
  folder.autoSweep();

  return {
    asyncThreshold,
    count,
    sweep: folder.sweep,

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
      await folder.ensure();
      folder.autoSweep();
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
      await folder.write(manifest);
      running.set(exportId, 0);
      // Runs in the background; every failure ends in run.fail, so nothing escapes unhandled.
      void runExportJob(jobDeps, manifest, run, viewer, queryFor(viewer, manifest.filter), downloadBaseUrl);
      return { exportId, jobId: run.id };
    },

    async status(viewer, exportId) {
      if (!viewer?.orgId) return undefined;
      const m = await folder.read(exportId);
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
      folder.autoSweep();
      // The link names the export twice (path and token): a token serves only the export it was signed for.
      if (!claims || claims.exportId !== exportId) return undefined;
      const m = await folder.read(claims.exportId);
      if (!m || m.orgId !== viewer.orgId || m.status !== 'SUCCESS' || m.expiresAt === undefined)
        return undefined;
      if (Date.parse(m.expiresAt) !== claims.expiresAt || Date.parse(m.expiresAt) <= now().getTime())
        return undefined;
      const stream = await folder.openCsv(m);
      if (!stream) return undefined;
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
        stream,
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
