import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkProof, type InclusionProof, type PublicKeyInfo } from '../src/integrity/check.js';
import type { IntegrityVerifyLimits } from '../src/integrity.js';
import { createActivityHandler } from '../src/server/handler.js';
import { createSqliteStore, type SqliteStore } from '../src/sqlite.js';
import type { Viewer } from '../src/types.js';
import { sealScenario, VERIFY_AT } from './integrityHarness.js';

const dir = mkdtempSync(join(tmpdir(), 'activity-integrity-http-'));
const stores: SqliteStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const viewers: Record<string, Viewer> = {
  a: { orgId: 'org_a', userId: 'u1', permissions: ['read'] },
  b: { orgId: 'org_b', userId: 'u2', permissions: ['read'] },
};

async function setup(integrity = true, extra: { verify?: IntegrityVerifyLimits; now?: () => Date } = {}) {
  const store = createSqliteStore({ path: join(dir, `h${stores.length.toString()}.db`) });
  stores.push(store);
  const s = await sealScenario(store, 42);
  const handler = createActivityHandler({
    store,
    authorize: (req) => viewers[req.headers.get('authorization') ?? ''] ?? null,
    integrity: integrity ? { keys: s.keys, intervalMs: 600_000, verify: extra.verify } : undefined,
    now: extra.now ?? (() => VERIFY_AT),
  });
  const get = async (path: string, who = 'a') => {
    const res = await handler(
      new Request(`http://localhost/api${path}`, { headers: { authorization: who } }),
    );
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { store, s, get };
}

describe('integrity over HTTP', () => {
  it('serves a proof the browser-side check accepts, with the keys from /integrity/keys', async () => {
    const { store, get } = await setup();
    const [seal] = await store.sealsOf('org_a', 2);
    const proof = await get(`/entries/${seal?.id}/proof`);
    expect(proof.status).toBe(200);
    expect(proof.body).toMatchObject({ sealed: true, intervalMs: 600_000 });
    const keys = await get('/integrity/keys');
    expect(keys.body.intervalMs).toBe(600_000);
    const list = keys.body.keys as PublicKeyInfo[];
    expect(list[0]).toMatchObject({ algorithm: 'Ed25519', jwk: { kty: 'OKP', crv: 'Ed25519' } });
    expect(await checkProof(proof.body.proof as InclusionProof, list)).toMatchObject({
      ok: true,
      digest: { sequence: 2 },
    });
  });

  it('is tenant-scoped: another org gets 404 for the same id; unsealed entries say so', async () => {
    const { store, get } = await setup();
    const [seal] = await store.sealsOf('org_a', 1);
    expect((await get(`/entries/${seal?.id}/proof`, 'b')).status).toBe(404);
    expect((await get(`/entries/${seal?.id}/proof?orgId=org_a`, 'b')).status).toBe(404);
    expect((await get('/entries/nope/proof')).status).toBe(404);
    const at = VERIFY_AT.toISOString();
    const running = {
      id: 'run_still_going',
      orgId: 'org_a',
      occurredAt: at,
      recordedAt: at,
      schemaVersion: 1,
      type: 'BACKGROUND_JOB' as const,
      status: 'IN_PROGRESS' as const,
      actor: { kind: 'system' as const, id: 'system' },
      action: 'SYNC',
    };
    await store.append([running]);
    expect((await get(`/entries/${running.id}/proof`)).body).toEqual({ sealed: false, intervalMs: 600_000 });
  });

  it('verifies the viewer org over a range, and reports a break after direct SQL tampering', async () => {
    const { store, get } = await setup();
    expect((await get('/integrity/verify?range=all')).body).toMatchObject({ ok: true });
    const [seal] = await store.sealsOf('org_b', 1);
    store.db
      .prepare(`UPDATE activity_entries SET data = json_set(data, '$.summary', 'x') WHERE id = ?`)
      .run(seal?.id);
    // org_a is untouched; org_b sees its break.
    expect((await get('/integrity/verify?range=all')).body).toMatchObject({ ok: true });
    expect((await get('/integrity/verify?range=all', 'b')).body).toMatchObject({
      ok: false,
      firstBreak: { kind: 'modified', entryId: seal?.id, digestSequence: 1 },
    });
    expect((await get('/integrity/verify?from=2026-99-01T00:00:00Z')).status).toBe(400);
  });

  it('refuses a verify over more entries than allowed with a 400 naming range, before reading them all', async () => {
    const { get } = await setup(true, { verify: { maxEntries: 10 } });
    const res = await get('/integrity/verify?range=all');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_FILTER', field: 'range' });
    expect(String((res.body.error as { message: string }).message)).toContain('more than 10 entries');
    // Within the bound it verifies as before.
    const { get: roomy } = await setup(true, { verify: { maxEntries: 1000 } });
    expect((await roomy('/integrity/verify?range=all')).body).toMatchObject({ ok: true });
  });

  it('refuses a from…to span longer than allowed with a 400 naming from', async () => {
    const { get } = await setup(true, { verify: { maxRangeDays: 7 } });
    const res = await get('/integrity/verify?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_FILTER', field: 'from' });
    expect(String((res.body.error as { message: string }).message)).toMatch(/spans 59 days.*at most 7 days/);
    const ok = await get('/integrity/verify?from=2026-03-10T00:00:00Z&to=2026-03-16T00:00:00Z');
    expect(ok.status).toBe(200);
  });

  it('answers 503 TIMEOUT naming range when verify runs past its deadline', async () => {
    // A clock that moves a minute per reading: the deadline passes before the first digest is checked.
    let t = VERIFY_AT.getTime();
    const { get } = await setup(true, {
      verify: { timeoutMs: 30_000 },
      now: () => {
        t += 60_000;
        return new Date(t);
      },
    });
    const res = await get('/integrity/verify?range=all');
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'TIMEOUT', field: 'range' });
  });

  it('refuses bad verify limits at construction, naming the option', async () => {
    await expect(setup(true, { verify: { maxEntries: 0 } })).rejects.toMatchObject({
      code: 'CONFIG',
      field: 'integrity.verify.maxEntries',
    });
  });

  it('answers 404 on every integrity route when integrity is not configured', async () => {
    const { store, get } = await setup(false);
    const [seal] = await store.sealsOf('org_a', 1);
    expect((await get(`/entries/${seal?.id}/proof`)).status).toBe(404);
    expect((await get('/integrity/keys')).status).toBe(404);
    expect((await get('/integrity/verify')).status).toBe(404);
  });
});
