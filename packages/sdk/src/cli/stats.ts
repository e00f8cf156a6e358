/** `activity stats`: entries per org, the newest entry, and the bytes the store takes on disk. */
import type { OpenedStore } from './storeUrl.js';

/** One org's line of {@link StoreStats}. */
export interface OrgStats {
  orgId: string;
  entries: number;
  /** occurredAt of the newest entry. */
  newest?: string | undefined;
}

/** What `activity stats` prints. */
export interface StoreStats {
  store: string;
  kind: string;
  orgs: OrgStats[];
  entries: number;
  /** On-disk bytes, when the engine reports them. */
  bytes?: number | undefined;
  bytesPerEntry?: number | undefined;
}

/**
 * Collects the counts through the store's public API (one facets query and one page per org).
 * @example const stats = await collectStats(await openStore('sqlite:./activity.db'));
 */
export async function collectStats(opened: OpenedStore): Promise<StoreStats> {
  const { store } = opened;
  const orgs: OrgStats[] = [];
  for (const orgId of await opened.store.listOrgs()) {
    const { total } = await store.facets({ orgId });
    const newest = (await store.query({ orgId, limit: 1 })).entries[0]?.occurredAt;
    orgs.push({ orgId, entries: total, newest });
  }
  const entries = orgs.reduce((n, o) => n + o.entries, 0);
  const bytes = await opened.bytes();
  return {
    store: opened.label,
    kind: opened.kind,
    orgs,
    entries,
    bytes,
    bytesPerEntry: bytes !== undefined && entries > 0 ? Math.round(bytes / entries) : undefined,
  };
}

/** The stats as aligned text lines. */
export function formatStats(stats: StoreStats): string {
  const width = Math.max(3, ...stats.orgs.map((o) => o.orgId.length));
  const lines = [`store   ${stats.store} (${stats.kind})`, `entries ${stats.entries}`];
  if (stats.bytes !== undefined) {
    lines.push(
      `bytes   ${stats.bytes}${stats.bytesPerEntry === undefined ? '' : ` (${stats.bytesPerEntry} per entry)`}`,
    );
  }
  lines.push('', `${'org'.padEnd(width)}  ${'entries'.padStart(10)}  newest`);
  for (const o of stats.orgs)
    lines.push(`${o.orgId.padEnd(width)}  ${String(o.entries).padStart(10)}  ${o.newest ?? '-'}`);
  return `${lines.join('\n')}\n`;
}
