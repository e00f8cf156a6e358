/**
 * Reads the archive retention writes ("still queryable via support"): every object under an org's
 * prefix, intact parts returned, damaged parts reported per object instead of failing the query.
 */

import { compareNewestFirst, matchesFilter } from '../core/storeQuery.js';
import { ActivityError } from '../errors.js';
import type { ResolvedFilter } from '../filters.js';
import type { ActivityEntry } from '../types.js';
import { readArchive } from './archiveCodec.js';
import { archivePrefix, legacyOrgKeySegment, monthOfKey, monthRange } from './archiveLayout.js';
import type { ArchiveSink } from './archiveSink.js';

/** A part of the archive the reader could not read. */
export interface ArchiveProblem {
  /** The object at fault. */
  key: string;
  /** What is wrong with it (a torn gzip member, a failed read …). */
  reason: string;
}

/** What {@link ArchiveReader.read} found. */
export interface ArchiveReadResult {
  /** Matching entries, newest first, at most `limit`. */
  entries: ActivityEntry[];
  /** Objects (or parts of objects) that could not be read; their intact parts are in `entries`. */
  problems: ArchiveProblem[];
}

/** Options of {@link createArchiveReader}. */
export interface ArchiveReaderOptions {
  /** Receives each problem met by `query` (which returns the intact entries only). */
  onProblem?: ((problem: ArchiveProblem) => void) | undefined;
}

/** Reads archived entries back. */
export interface ArchiveReader {
  /** Archived entries of one org matching the filter, newest first, at most `limit` (default 1000). */
  query(orgId: string, filter?: ResolvedFilter, limit?: number): Promise<ActivityEntry[]>;
  /** Like `query`, with the problems met (damaged or unreadable objects) reported beside the entries. */
  read(orgId: string, filter?: ResolvedFilter, limit?: number): Promise<ArchiveReadResult>;
}

function checkArgs(orgId: string, limit: number): void {
  if (typeof orgId !== 'string' || orgId === '') {
    throw new ActivityError('INVALID_FILTER', 'orgId: required', { field: 'orgId' });
  }
  if (!Number.isInteger(limit) || limit < 1) {
    throw new ActivityError('INVALID_FILTER', 'limit: must be a positive integer', { field: 'limit' });
  }
}

/** The org's prefixes: this layout's, then the first layout's (read for archives written before). */
function prefixesOf(orgId: string): string[] {
  const legacy = legacyOrgKeySegment(orgId);
  return legacy === undefined ? [archivePrefix(orgId)] : [archivePrefix(orgId), `${legacy}/`];
}

/**
 * Creates a reader over an archive sink. Only the org's objects whose month overlaps the filter's
 * date range are read; an entry archived twice (a run retried after a failed purge) is returned once.
 * @example await createArchiveReader(sink).query('org_1', { from: '2022-01-01T00:00:00Z', types: ['WEBHOOK'] })
 */
export function createArchiveReader(sink: ArchiveSink, options: ArchiveReaderOptions = {}): ArchiveReader {
  async function read(orgId: string, filter: ResolvedFilter = {}, limit = 1000): Promise<ArchiveReadResult> {
    checkArgs(orgId, limit);
    const from = filter.from === undefined ? -Infinity : Date.parse(filter.from);
    const to = filter.to === undefined ? Infinity : Date.parse(filter.to);
    const byId = new Map<string, ActivityEntry>();
    const problems: ArchiveProblem[] = [];
    for (const prefix of prefixesOf(orgId)) {
      for (const key of await sink.list(prefix)) {
        const range = monthRange(monthOfKey(key.slice(prefix.length)) ?? '');
        if (!range || range[1] <= from || range[0] >= to) continue;
        let data: Uint8Array | undefined;
        try {
          data = await sink.read(key);
        } catch (error) {
          problems.push({ key, reason: `read failed: ${error instanceof Error ? error.message : error}` });
          continue;
        }
        if (!data) {
          problems.push({ key, reason: 'listed but missing when read' });
          continue;
        }
        const contents = readArchive(data);
        for (const reason of contents.problems) problems.push({ key, reason });
        for (const entry of contents.entries) {
          if (entry.orgId === orgId && matchesFilter(entry, filter)) byId.set(entry.id, entry);
        }
      }
    }
    return { entries: [...byId.values()].sort(compareNewestFirst).slice(0, limit), problems };
  }

  return {
    read,
    async query(orgId, filter, limit) {
      const result = await read(orgId, filter, limit);
      for (const problem of result.problems) options.onProblem?.(problem);
      return result.entries;
    },
  };
}

export { decodeArchive, encodeArchive, readArchive } from './archiveCodec.js';
export { archiveKey, archivePrefix, monthOf, orgKeySegment } from './archiveLayout.js';
export type { ArchiveSink } from './archiveSink.js';
export {
  createFolderArchiveSink,
  type FolderArchiveSinkOptions,
  type FolderSinkFile,
  type FolderSinkFs,
  nodeFolderSinkFs,
} from './folderArchiveSink.js';
