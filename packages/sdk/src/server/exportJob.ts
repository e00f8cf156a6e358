/**
 * One async export job: writes the CSV gzipped to a `.part` file, renames it into place, signs the
 * download link, records the export and calls `notify`. Every failure ends in the job's `fail` and a
 * FAILED manifest, so nothing escapes unhandled from the background.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { ActivityRecorder } from '../core/api.js';
import type { ActivityStore, StoreQuery, Viewer } from '../types.js';
import { cellRowsToCsv } from './csv.js';
import { csvPagesOf } from './csvPages.js';
import type { ExportNotice } from './export.js';
import { EXPORT_ACTION, EXPORT_FAILED_MESSAGE, viewerActor } from './exportAudit.js';
import type { ExportFolder, Manifest } from './exportFolder.js';
import { signExportToken } from './signing.js';

/** What a job needs from the exporter. */
export interface ExportJobDeps {
  store: ActivityStore;
  activity: ActivityRecorder;
  secret: string;
  notify: ((notice: ExportNotice) => void | Promise<void>) | undefined;
  now: () => Date;
  linkTtlMs: number;
  folder: ExportFolder;
  /** Rows written so far by running jobs of this process (progress between store updates). */
  running: Map<string, number>;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs the job of `manifest` (already written, IN_PROGRESS) reading `query`; `base` is the handler's
 * absolute URL the download link is built from.
 */
export async function runExportJob(
  deps: ExportJobDeps,
  manifest: Manifest,
  run: ReturnType<ActivityRecorder['job']>,
  viewer: Viewer,
  query: StoreQuery,
  base: string,
): Promise<void> {
  const { folder, running } = deps;
  const part = join(folder.dir, `${manifest.file}.part`);
  let rows = 0;
  let bytes = 0;
  try {
    const csv = cellRowsToCsv(csvPagesOf(deps.store, query), {
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
    await rename(part, join(folder.dir, manifest.file));
    const expiresAtMs = deps.now().getTime() + deps.linkTtlMs;
    const token = signExportToken(
      { exportId: manifest.exportId, orgId: manifest.orgId, expiresAt: expiresAtMs },
      deps.secret,
    );
    const url = `${base.replace(/\/+$/, '')}/exports/${manifest.exportId}/download?token=${encodeURIComponent(token)}`;
    const expiresAt = new Date(expiresAtMs).toISOString();
    Object.assign(manifest, { status: 'SUCCESS', rows, bytes, url, expiresAt } satisfies Partial<Manifest>);
    await folder.write(manifest);
    run.progress(rows, manifest.total ?? rows);
    deps.activity.record({
      type: 'USER_ACTION',
      action: EXPORT_ACTION,
      orgId: manifest.orgId,
      actor: viewerActor(viewer),
      summary: `Exported ${rows} entries to CSV (background job)`,
      metadata: { filter: manifest.filter, rows, exportId: manifest.exportId, async: true },
      parentId: run.id,
    });
    try {
      await deps.notify?.({
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
    await folder.write(manifest).catch(() => undefined);
    await run.fail(error, { exportId: manifest.exportId, processed: rows });
  } finally {
    running.delete(manifest.exportId);
  }
}
