/**
 * `activity copy`: every org's entries from one store to another, page by page (newest first, keyset
 * cursor). Idempotent because `append` skips ids already stored; resumable because the position is
 * saved to a checkpoint file after each page; checked by comparing counts per org at the end.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { MAX_PAGE_SIZE } from '../core/storeQuery.js';
import { ActivityError } from '../errors.js';
import type { StorePage } from '../types.js';

type StoreCursor = NonNullable<StorePage['next']>;

import type { Progress } from './progress.js';
import type { OpenedStore } from './storeUrl.js';

/** Where an interrupted copy resumes. */
interface Checkpoint {
  from: string;
  to: string;
  /** Upper time bound (exclusive) fixed when the copy started, so counts compare the same set. */
  until: string;
  done: string[];
  current?: { orgId: string; after: StoreCursor } | undefined;
}

/** Counts of one org after the copy. */
export interface OrgCopyReport {
  orgId: string;
  /** Entries in the source before `until`. */
  source: number;
  /** Entries in the target before `until`, after the copy. */
  target: number;
  inserted: number;
  duplicates: number;
}

/** Outcome of {@link copyStores}. */
export interface CopyReport {
  until: string;
  resumed: boolean;
  orgs: OrgCopyReport[];
  /** True when every org has at least as many entries in the target as in the source. */
  ok: boolean;
}

/** Options of {@link copyStores}. */
export interface CopyOptions {
  from: OpenedStore;
  to: OpenedStore;
  /** Only these orgs. @default every org of the source */
  orgs?: string[] | undefined;
  /** Entries per page and per append. @default 1000 */
  batch?: number | undefined;
  /** Checkpoint file; the copy resumes from it when it exists, and removes it when done. */
  checkpoint: string;
  progress: Progress;
  /** Clock, for tests. */
  now?: () => Date;
}

function readCheckpoint(path: string, from: string, to: string): Checkpoint | undefined {
  if (!existsSync(path)) return undefined;
  const saved = JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
  if (saved.from !== from || saved.to !== to) {
    throw new ActivityError(
      'CONFIG',
      `checkpoint: ${path} belongs to a copy from ${saved.from} to ${saved.to}; remove it or pass another --checkpoint`,
      { field: 'checkpoint' },
    );
  }
  return saved;
}

function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  // Written aside and renamed, so a crash mid-write never leaves a torn checkpoint.
  writeFileSync(`${path}.tmp`, JSON.stringify(checkpoint));
  renameSync(`${path}.tmp`, path);
}

/**
 * Copies entries between two stores; see the module comment for the guarantees.
 * @example await copyStores({ from, to, checkpoint: '.activity-copy.json', progress })
 */
export async function copyStores(options: CopyOptions): Promise<CopyReport> {
  const { from, to, progress } = options;
  const batch = options.batch ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_PAGE_SIZE) {
    throw new ActivityError('CONFIG', `batch: must be an integer from 1 to ${MAX_PAGE_SIZE}`, {
      field: 'batch',
    });
  }
  await to.migrate();
  const saved = readCheckpoint(options.checkpoint, from.label, to.label);
  const checkpoint: Checkpoint = saved ?? {
    from: from.label,
    to: to.label,
    until: (options.now?.() ?? new Date()).toISOString(),
    done: [],
  };
  const orgs = options.orgs?.length ? options.orgs : await from.store.listOrgs();
  const totals = new Map<string, number>();
  for (const orgId of orgs)
    totals.set(orgId, (await from.store.facets({ orgId, to: checkpoint.until })).total);
  progress.total([...totals.values()].reduce((a, b) => a + b, 0));
  const counts = new Map<string, { inserted: number; duplicates: number }>();
  // Months already readied in the target: one call per new month span, not per page.
  const readied = new Set<string>();
  const prepare = async (from: string, last: string) => {
    const key = `${from.slice(0, 7)}/${last.slice(0, 7)}`;
    if (!to.prepareRange || readied.has(key)) return;
    await to.prepareRange(from, last);
    readied.add(key);
  };
  for (const orgId of orgs) {
    const count = { inserted: 0, duplicates: 0 };
    counts.set(orgId, count);
    if (checkpoint.done.includes(orgId)) {
      progress.tick(totals.get(orgId) ?? 0);
      continue;
    }
    let after = checkpoint.current?.orgId === orgId ? checkpoint.current.after : undefined;
    for (;;) {
      const page = await from.store.query({ orgId, to: checkpoint.until, limit: batch, after });
      if (page.entries.length > 0) {
        const times = page.entries.map((e) => e.occurredAt).sort();
        await prepare(times[0] as string, times[times.length - 1] as string);
        const result = await to.store.append(page.entries);
        count.inserted += result.inserted;
        count.duplicates += result.duplicates;
        progress.tick(page.entries.length);
      }
      if (!page.next) break;
      after = page.next;
      checkpoint.current = { orgId, after };
      writeCheckpoint(options.checkpoint, checkpoint);
    }
    await to.store.flush?.();
    checkpoint.done.push(orgId);
    checkpoint.current = undefined;
    writeCheckpoint(options.checkpoint, checkpoint);
  }
  progress.stop();
  const report: OrgCopyReport[] = [];
  for (const orgId of orgs) {
    const target = (await to.store.facets({ orgId, to: checkpoint.until })).total;
    report.push({
      orgId,
      source: totals.get(orgId) ?? 0,
      target,
      ...(counts.get(orgId) ?? { inserted: 0, duplicates: 0 }),
    });
  }
  const ok = report.every((r) => r.target >= r.source);
  if (ok) rmSync(options.checkpoint, { force: true });
  return { until: checkpoint.until, resumed: saved !== undefined, orgs: report, ok };
}
