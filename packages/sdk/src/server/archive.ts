/**
 * The archive retention writes before purging: gzip-compressed NDJSON per org and month behind a
 * small sink interface (a folder by default; an object store fits the same three methods).
 */
import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ActivityError } from '../errors.js';
import type { ResolvedFilter } from '../filters.js';
import { compareNewestFirst, matchesFilter } from '../testing/memoryStore.js';
import type { ActivityEntry } from '../types.js';

/**
 * Where archives go. `write` APPENDS to the object at `key` (creating it): archives are concatenated
 * gzip members, so an object store can implement it as read + concatenate + put, or by multipart upload.
 */
export interface ArchiveSink {
  /** Appends `data` to the object at `key`, creating it when missing. */
  write(key: string, data: Uint8Array): Promise<void>;
  /** The whole object at `key`, or undefined when missing. */
  read(key: string): Promise<Uint8Array | undefined>;
  /** Keys starting with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
}

const MAX_KEY = 1024;

/** Splits a key into path segments; throws `CONFIG` for one that could escape the sink's root. */
function checkKey(key: string, field = 'key'): string[] {
  if (typeof key !== 'string' || key === '' || key.length > MAX_KEY) {
    throw new ActivityError(
      'CONFIG',
      `${field}: must be a non-empty string of at most ${MAX_KEY} characters`,
      { field },
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters never belong in a key
  if (/[\\\u0000-\u001f]/.test(key) || key.startsWith('/')) {
    throw new ActivityError(
      'CONFIG',
      `${field}: "${key}" has a backslash, control character or leading slash`,
      {
        field,
      },
    );
  }
  const segments = key.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new ActivityError('CONFIG', `${field}: "${key}" has an empty, "." or ".." segment`, { field });
  }
  return segments;
}

/** The key segment of an org: URI-encoded, dots too, so no org id can form `..` or a nested path. */
export function orgKeySegment(orgId: string): string {
  return encodeURIComponent(orgId).replace(/\./g, '%2E');
}

/** The archive key of one org and month: `${orgId}/${yyyy}-${mm}.ndjson.gz`. */
export function archiveKey(orgId: string, month: string): string {
  return `${orgKeySegment(orgId)}/${month}.ndjson.gz`;
}

/** The UTC month (`yyyy-mm`) an entry belongs to. */
export function monthOf(entry: ActivityEntry): string {
  return new Date(Date.parse(entry.occurredAt)).toISOString().slice(0, 7);
}

/** Encodes entries as one gzip member of NDJSON. */
export function encodeArchive(entries: readonly ActivityEntry[]): Uint8Array {
  return gzipSync(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
}

/** Decodes an archive object (any number of concatenated gzip members) back into entries. */
export function decodeArchive(data: Uint8Array): ActivityEntry[] {
  const text = gunzipSync(data).toString('utf8');
  const out: ActivityEntry[] = [];
  for (const line of text.split('\n')) if (line !== '') out.push(JSON.parse(line) as ActivityEntry);
  return out;
}

/**
 * An {@link ArchiveSink} over a local folder. Keys map to files under `dir`; a key with `..`, a
 * leading slash, a backslash or a control character is refused.
 * @example const sink = createFolderArchiveSink('/var/lib/activity/archive');
 */
export function createFolderArchiveSink(dir: string): ArchiveSink {
  if (typeof dir !== 'string' || dir === '') {
    throw new ActivityError('CONFIG', 'dir: the archive folder is required', { field: 'dir' });
  }
  const root = resolve(dir);
  const pathOf = (key: string, field?: string) => {
    const path = resolve(root, ...checkKey(key, field));
    // Belt and braces: the checked segments cannot climb, but a resolved path outside root is refused anyway.
    if (!path.startsWith(root + sep))
      throw new ActivityError('CONFIG', `key: "${key}" escapes the archive folder`, { field: 'key' });
    return path;
  };

  return {
    async write(key, data) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      await appendFile(path, data);
    },

    async read(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },

    async list(prefix) {
      if (typeof prefix !== 'string') return [];
      let files: string[];
      try {
        files = (await readdir(root, { recursive: true, withFileTypes: true }))
          .filter((d) => d.isFile())
          .map((d) =>
            relative(root, resolve(d.parentPath ?? d.path, d.name))
              .split(sep)
              .join('/'),
          );
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      return files.filter((k) => k.startsWith(prefix)).sort();
    },
  };
}

/** Reads archived entries back ("still queryable via support"). */
export interface ArchiveReader {
  /** Archived entries of one org matching the filter, newest first, at most `limit` (default 1000). */
  query(orgId: string, filter?: ResolvedFilter, limit?: number): Promise<ActivityEntry[]>;
}

const MONTH_FILE = /^(\d{4})-(\d{2})\.ndjson\.gz$/;

/**
 * Creates a reader over an archive sink. Only the org's monthly files overlapping the filter's date
 * range are read; an entry archived twice (a run retried after a failed purge) is returned once.
 * @example await createArchiveReader(sink).query('org_1', { from: '2022-01-01T00:00:00Z', types: ['WEBHOOK'] })
 */
export function createArchiveReader(sink: ArchiveSink): ArchiveReader {
  return {
    async query(orgId, filter = {}, limit = 1000) {
      if (typeof orgId !== 'string' || orgId === '') {
        throw new ActivityError('INVALID_FILTER', 'orgId: required', { field: 'orgId' });
      }
      if (!Number.isInteger(limit) || limit < 1) {
        throw new ActivityError('INVALID_FILTER', 'limit: must be a positive integer', { field: 'limit' });
      }
      const from = filter.from === undefined ? -Infinity : Date.parse(filter.from);
      const to = filter.to === undefined ? Infinity : Date.parse(filter.to);
      const prefix = `${orgKeySegment(orgId)}/`;
      const byId = new Map<string, ActivityEntry>();
      for (const key of await sink.list(prefix)) {
        const match = MONTH_FILE.exec(key.slice(prefix.length));
        if (!match) continue;
        const start = Date.UTC(Number(match[1]), Number(match[2]) - 1, 1);
        const end = Date.UTC(Number(match[1]), Number(match[2]), 1);
        if (end <= from || start >= to) continue;
        const data = await sink.read(key);
        if (!data) continue;
        for (const entry of decodeArchive(data)) {
          if (entry.orgId === orgId && matchesFilter(entry, filter)) byId.set(entry.id, entry);
        }
      }
      return [...byId.values()].sort(compareNewestFirst).slice(0, limit);
    },
  };
}
