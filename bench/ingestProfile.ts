/**
 * Where the SDK's ingest time goes, per entry, stage by stage, on the same generated entries as
 * `sqlite-ingest-vs-raw`: building the entry from the input, record()'s snapshot, validation (the
 * deferred check of the snapshot), redaction, serialisation, and the store's statements (SQLite
 * `append` of prepared entries) against the raw reference's inserts.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { buildEntry, entryConfig, snapshotEntry } from '../packages/sdk/src/core/entry.js';
import { prepareSnapshot } from '../packages/sdk/src/core/validate.js';
import { createSqliteStore } from '../packages/sdk/src/sqlite/index.js';
import { searchText } from '../packages/sdk/src/sqlite/sql.js';
import { type ActivityEntry, type ActivityStore, ENTRY_JSON } from '../packages/sdk/src/types.js';

/** Microseconds per entry of each stage. */
export interface IngestProfile {
  build: number;
  snapshot: number;
  validation: number;
  redaction: number;
  serialisation: number;
  statements: number;
  rawStatements: number;
}

const usPer = (count: number, start: bigint) => Number(process.hrtime.bigint() - start) / 1000 / count;

export async function profileIngest(inputs: Record<string, unknown>[], dir: string): Promise<IngestProfile> {
  const count = inputs.length;
  const config = entryConfig({ store: {} as ActivityStore, defaultOrgId: 'org_ingest' });
  let t = process.hrtime.bigint();
  const candidates = inputs.map((input) => buildEntry(config, input));
  const build = usPer(count, t);
  t = process.hrtime.bigint();
  const snaps = candidates.map((c) => snapshotEntry(config, c));
  const snapshot = usPer(count, t);
  // Validation without redaction: the snapshot path with a rewrite that changes nothing.
  t = process.hrtime.bigint();
  const checked = snaps.map((s) => prepareSnapshot(s.json, s.bytes, config.limits, () => false));
  const validation = usPer(count, t);
  const entries = checked.map((p, i) => p?.entry ?? (JSON.parse(snaps[i]?.json ?? '{}') as ActivityEntry));
  t = process.hrtime.bigint();
  for (const entry of entries) config.redactor.scrubChanged(entry);
  const redaction = usPer(count, t);
  t = process.hrtime.bigint();
  const texts = entries.map((e) => JSON.stringify(e));
  const serialisation = usPer(count, t);

  const sdkPath = join(dir, 'profile-sdk.db');
  rmSync(sdkPath, { force: true });
  const store = createSqliteStore({ path: sdkPath });
  t = process.hrtime.bigint();
  for (let i = 0; i < count; i += 1_000) {
    const batch = entries.slice(i, i + 1_000);
    Object.defineProperty(batch, ENTRY_JSON, { value: texts.slice(i, i + 1_000) });
    await store.append(batch);
  }
  const statements = usPer(count, t);
  await store.close();

  const rawPath = join(dir, 'profile-raw.db');
  rmSync(rawPath, { force: true });
  createSqliteStore({ path: rawPath }).close();
  const raw = new BetterSqlite3(rawPath);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  const insert = raw.prepare(
    'INSERT INTO activity_entries (id, org_id, occurred_at, type, status, actor_id, actor_name, entity_type, entity_id, correlation_id, idempotency_key, search, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
  );
  t = process.hrtime.bigint();
  raw.transaction(() => {
    for (const e of entries) {
      insert.run(
        e.id,
        e.orgId,
        Date.parse(e.occurredAt),
        e.type,
        e.status,
        e.actor.id,
        e.actor.name ?? null,
        e.entity?.type ?? null,
        e.entity?.id ?? null,
        e.correlationId ?? null,
        e.idempotencyKey ?? null,
        searchText(e),
        JSON.stringify(e),
      );
    }
  })();
  const rawStatements = usPer(count, t);
  raw.close();
  return { build, snapshot, validation, redaction, serialisation, statements, rawStatements };
}

/** One line for the report. */
export function describeProfile(p: IngestProfile): string {
  const f = (n: number) => n.toFixed(2);
  const sdk = p.build + p.snapshot + p.validation + p.redaction + p.statements;
  return `µs per entry: build ${f(p.build)}, snapshot ${f(p.snapshot)}, validation ${f(p.validation)}, redaction ${f(p.redaction)}, serialisation ${f(p.serialisation)} (skipped when redaction changes nothing), SQLite append ${f(p.statements)} vs raw inserts ${f(p.rawStatements)} (row building and JSON included); SDK stages sum ${f(sdk)}`;
}
