/** `activity export`: one org's entries matching a filter, as CSV (the export's own format) or NDJSON. */
import type { Writable } from 'node:stream';
import { parseFilter, resolveFilter } from '../filters.js';
import { cellRowsToCsv } from '../server/csv.js';
import { csvPagesOf, pagesOf, pickFilter } from '../server/export.js';
import type { ActivityStore } from '../types.js';
import type { Progress } from './progress.js';

/** Options of {@link exportEntries}. */
export interface ExportCommandOptions {
  store: ActivityStore;
  orgId: string;
  /** A filter as the HTTP API's query string (`type=USER_ACTION&status=FAILED&range=7d`); no range means all. */
  filter?: string | undefined;
  format: 'csv' | 'ndjson';
  out: Writable;
  progress: Progress;
  now?: Date | undefined;
}

function write(out: Writable, chunk: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Streams the entries to `out`, page by page; returns the number written.
 * @example await exportEntries({ store, orgId: 'org_1', filter: 'status=FAILED', format: 'csv', out: process.stdout, progress })
 */
export async function exportEntries(options: ExportCommandOptions): Promise<number> {
  const { store, orgId, out, progress } = options;
  const parsed = parseFilter(options.filter ?? '');
  // A command-line export means "everything that matches" unless a range or bounds are given.
  const filter = pickFilter(resolveFilter({ range: 'all', ...parsed }, options.now));
  progress.total((await store.facets({ ...filter, orgId })).total);
  let rows = 0;
  if (options.format === 'ndjson') {
    for await (const page of pagesOf(store, { ...filter, orgId })) {
      if (page.length) await write(out, `${page.map((e) => JSON.stringify(e)).join('\n')}\n`);
      rows += page.length;
      progress.tick(page.length);
    }
  } else {
    // The HTTP export's path: a store that keeps the cells (PostgreSQL) serves them without its docs.
    const csv = cellRowsToCsv(csvPagesOf(store, { ...filter, orgId }), {
      onPage: (n) => {
        progress.tick(n - rows);
        rows = n;
      },
    });
    for await (const chunk of csv as unknown as AsyncIterable<Uint8Array>) await write(out, chunk);
  }
  progress.stop();
  return rows;
}
