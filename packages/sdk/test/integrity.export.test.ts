import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ActivityError } from '../src/errors.js';
import {
  canonicalJson,
  createSealer,
  type DigestSink,
  digestKey,
  digestPrefix,
  exportDigests,
  readExportedDigests,
} from '../src/integrity.js';
import { type ArchiveSink, createFolderArchiveSink } from '../src/server.js';
import { createSqliteStore, type SqliteStore } from '../src/sqlite.js';
import { generateActivity } from '../src/testing/index.js';
import { sealScenario, VERIFY_AT, verifyA } from './integrityHarness.js';

const dir = mkdtempSync(join(tmpdir(), 'activity-integrity-export-'));
let n = 0;
const stores: SqliteStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(): SqliteStore {
  const store = createSqliteStore({ path: join(dir, `e${(n++).toString()}.db`) });
  stores.push(store);
  return store;
}

/** Entries recorded after every seal of the scenario, final, for one more seal. */
const fresh = (seed: number) =>
  generateActivity({ count: 20, orgIds: ['org_a'], seed, now: VERIFY_AT, spanDays: 0.005 }).map((e) => ({
    ...e,
    status: e.status === 'IN_PROGRESS' ? ('SUCCESS' as const) : e.status,
  }));

describe('digest export to an archive sink', () => {
  it('takes the folder archive sink as it is (the sealer needs only write and list)', () => {
    const sink: ArchiveSink = createFolderArchiveSink(join(dir, 'typed'));
    const asDigestSink: DigestSink = sink;
    expect(typeof asDigestSink.write).toBe('function');
  });

  it('writes every digest once, as its RFC 8785 JSON, catching up on digests made before the sink', async () => {
    const store = open();
    const s = await sealScenario(store, 21);
    const folder = join(dir, 'audit-1');
    const sink = createFolderArchiveSink(folder);
    const sealer = createSealer({ store, signingKey: s.privateKeyPem, sink, now: () => VERIFY_AT });
    const before = await store.listDigests('org_a');
    // Nothing new to seal: the run still exports the digests made before the sink was configured.
    const first = await sealer.sealNow();
    expect(first.digests).toEqual([]);
    const orgB = await store.listDigests('org_b');
    expect(first.exported).toBe(before.length + orgB.length);
    const keys = await sink.list(digestPrefix('org_a'));
    expect(keys).toEqual(before.map((d) => digestKey('org_a', d.sequence)));
    const bytes = await sink.read(keys[0] as string);
    expect(Buffer.from(bytes as Uint8Array).toString('utf8')).toBe(canonicalJson(before[0]));
    // A second run with nothing new writes nothing; a new digest is written alone.
    expect((await sealer.sealNow()).exported).toBe(0);
    await store.append(fresh(5));
    const next = await sealer.sealNow('org_a');
    expect(next.digests).toHaveLength(1);
    expect(next.exported).toBe(1);
    expect(await readExportedDigests(sink, 'org_a')).toEqual([...before, ...next.digests]);
  });

  it('lets an auditor find dropped newest digests (and their seal rows) from the exported digests alone', async () => {
    const store = open();
    const s = await sealScenario(store, 22);
    const sink = createFolderArchiveSink(join(dir, 'audit-2'));
    await createSealer({ store, signingKey: s.privateKeyPem, sink, now: () => VERIFY_AT }).sealNow();
    const all = await store.listDigests('org_a');
    const newest = all[all.length - 1];
    expect(all.length).toBeGreaterThanOrEqual(3);
    // A careful admin drops the newest two digests with their seal rows: the store's chain is still valid.
    const from = all.length - 1;
    store.db.prepare('DELETE FROM activity_digests WHERE org_id = ? AND sequence >= ?').run('org_a', from);
    store.db.prepare('DELETE FROM activity_seals WHERE org_id = ? AND sequence >= ?').run('org_a', from);
    expect(await verifyA(s)).toMatchObject({ ok: true });
    const exported = await readExportedDigests(createFolderArchiveSink(join(dir, 'audit-2')), 'org_a');
    expect(exported.map((d) => d.sequence)).toEqual(all.map((d) => d.sequence));
    expect((await verifyA(s, { digests: exported })).firstBreak).toMatchObject({
      kind: 'truncated',
      digestSequence: from,
    });
    expect(newest?.sequence).toBe(from + 1);
  });

  it('reports a rewritten exported digest as a bad signature, and a misplaced file loudly', async () => {
    const store = open();
    const s = await sealScenario(store, 23);
    const folder = join(dir, 'audit-3');
    const sink = createFolderArchiveSink(folder);
    await exportDigests(store, sink, 'org_a');
    const exported = await readExportedDigests(sink, 'org_a');
    const forged = { ...(exported[0] as (typeof exported)[0]), root: '00'.repeat(32) };
    expect((await verifyA(s, { digests: [forged] })).firstBreak).toMatchObject({
      kind: 'bad-signature',
      digestSequence: 1,
    });
    await sink.write(digestKey('org_a', 99), Buffer.from(canonicalJson(exported[0]), 'utf8'));
    await expect(readExportedDigests(sink, 'org_a')).rejects.toMatchObject({
      code: 'CONFIG',
      field: 'digests',
    });
  });

  it('keeps sealing when the sink fails, reports it, and exports the missed digest on the next run', async () => {
    const store = open();
    const s = await sealScenario(store, 24);
    const folder = join(dir, 'audit-4');
    const good = createFolderArchiveSink(folder);
    await exportDigests(store, good, 'org_a');
    const failing: DigestSink = {
      list: (prefix) => good.list(prefix),
      write: async () => {
        throw new Error('EROFS: read-only file system');
      },
    };
    await store.append(fresh(6));
    const broken = createSealer({ store, signingKey: s.privateKeyPem, sink: failing, now: () => VERIFY_AT });
    const error = await broken.sealNow('org_a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActivityError);
    expect(error).toMatchObject({ code: 'STORE_FAILED', field: 'sink' });
    // The digest was sealed in the store all the same.
    const all = await store.listDigests('org_a');
    const held = await good.list(digestPrefix('org_a'));
    expect(held).toHaveLength(all.length - 1);
    const again = createSealer({ store, signingKey: s.privateKeyPem, sink: good, now: () => VERIFY_AT });
    expect((await again.sealNow('org_a')).exported).toBe(1);
    expect(await readExportedDigests(good, 'org_a')).toEqual(all);
  });

  it('keeps orgs apart in the sink whatever their ids hold', async () => {
    const ids = ['org/a', 'org%2Fa', '..', 'Zoë 😀', '\ud800', 'x'.repeat(300)];
    const prefixes = ids.map(digestPrefix);
    expect(new Set(prefixes).size).toBe(ids.length);
    const sink = createFolderArchiveSink(join(dir, 'audit-5'));
    // Every key is one the folder sink accepts.
    for (const id of ids) await sink.write(digestKey(id, 1), Buffer.from('{}'));
    expect(readdirSync(join(dir, 'audit-5', 'digests'))).toHaveLength(ids.length);
    expect(readFileSync(join(dir, 'audit-5', digestKey('..', 1)), 'utf8')).toBe('{}');
  });

  it('refuses a sink without write at construction, naming the field', () => {
    expect(() =>
      createSealer({
        store: open(),
        signingKey: 'unused',
        sink: {} as DigestSink,
      }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG', field: 'sink' }));
  });
});
