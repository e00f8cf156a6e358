/**
 * Store URLs of the `activity` CLI: `sqlite:./file.db`, `postgres://…` (`?schema=`), `clickhouse://…`
 * (`clickhouses://` for TLS; the path names the database, `?table=` the table) and `chdb:` (in-process
 * ClickHouse; `chdb:./folder` keeps its data in a folder). Drivers load only for the store named.
 */
import { ActivityError } from '../errors.js';
import type { ActivityStore } from '../types.js';

/** The store kinds a URL can name. */
export type StoreKind = 'sqlite' | 'postgres' | 'clickhouse' | 'chdb';

/** A store opened from a URL, with what the CLI needs beyond {@link ActivityStore}. */
export interface OpenedStore {
  kind: StoreKind;
  store: ActivityStore;
  /** Applies pending migrations (SQLite migrates when opened). */
  migrate(): Promise<void>;
  /** Readies the store for entries dated in [from, to] (PostgreSQL creates those months' partitions). */
  prepareRange?(from: string, to: string): Promise<void>;
  /** Bytes the store's data takes on disk, when the engine can tell. */
  bytes(): Promise<number | undefined>;
  /** The URL with any password replaced by `***`, for messages. */
  label: string;
}

/** Parsed form of a store URL. */
export interface StoreUrl {
  kind: StoreKind;
  /** SQLite file, chdb folder (`:memory:` when empty), or the driver URL. */
  target: string;
  /** PostgreSQL schema or ClickHouse database. */
  namespace?: string | undefined;
  /** ClickHouse table. */
  table?: string | undefined;
  label: string;
}

function bad(url: string, reason: string): ActivityError {
  return new ActivityError('CONFIG', `store url "${url}": ${reason}`, { field: 'url' });
}

function masked(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href;
}

/**
 * Parses a store URL; throws a CONFIG error naming the accepted forms otherwise.
 * @example parseStoreUrl('postgres://app@db:5432/app?schema=activity')
 */
export function parseStoreUrl(url: string): StoreUrl {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw bad(url, 'name a file, e.g. sqlite:./activity.db');
    return { kind: 'sqlite', target: path, label: url };
  }
  if (url === 'chdb:' || url.startsWith('chdb:')) {
    const path = url.slice('chdb:'.length);
    return { kind: 'chdb', target: path === '' ? ':memory:' : path, label: url };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad(url, 'expected sqlite:<file>, postgres://…, clickhouse://… or chdb:[folder]');
  }
  if (parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:') {
    const label = masked(parsed);
    const schema = parsed.searchParams.get('schema') ?? undefined;
    parsed.searchParams.delete('schema');
    return { kind: 'postgres', target: parsed.href, namespace: schema, label };
  }
  if (parsed.protocol === 'clickhouse:' || parsed.protocol === 'clickhouses:') {
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || undefined;
    const table = parsed.searchParams.get('table') ?? undefined;
    const http = new URL(
      parsed.href.replace(/^clickhouses?:/, parsed.protocol === 'clickhouses:' ? 'https:' : 'http:'),
    );
    http.pathname = '/';
    http.search = '';
    if (http.port === '') http.port = parsed.protocol === 'clickhouses:' ? '8443' : '8123';
    return { kind: 'clickhouse', target: http.href, namespace: database, table, label: masked(parsed) };
  }
  throw bad(url, `unknown scheme "${parsed.protocol}"; use sqlite:, postgres://, clickhouse:// or chdb:`);
}
