/**
 * Issue 13, "time to first log": what a new host app gets without knowing the SDK's internals.
 * Each describe names the fix; each test fails on the code before it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createActivity } from '../src/core/activity.js';
import { defineCatalog } from '../src/core/catalog.js';
import { checkCatalog } from '../src/core/catalogCheck.js';
import { ActivityError } from '../src/errors.js';
import { createActivityHandler } from '../src/server/handler.js';
import { createSqliteStore } from '../src/sqlite/store.js';
import { createMemoryStore } from '../src/testing/index.js';
import type { ActivityEntry, Viewer } from '../src/types.js';

const catalog = defineCatalog({
  entities: {
    invoice: { label: 'Invoice', actions: { sent: { label: 'Sent' } } },
  },
  jobs: { NIGHTLY_SYNC: { label: 'Nightly sync' } },
});

const viewer: Viewer = { orgId: 'org_1', userId: 'usr_1', permissions: ['read'] };
const authorize = () => viewer;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

function recorder(extra: Record<string, unknown> = {}) {
  const activity = createActivity({ store: createMemoryStore(), catalog, defaultOrgId: 'org_1', ...extra });
  closers.push(() => activity.shutdown({ timeoutMs: 1000 }));
  return activity;
}

describe('handler options — labels and store from `activity`', () => {
  it('serves the recorder catalog on GET /catalog when no `catalog` option is given', async () => {
    const activity = recorder();
    const handler = createActivityHandler({ activity, authorize });
    const res = await handler(new Request('http://app.test/api/activity/catalog'));
    expect(res.status).toBe(200);
    const labels = (await res.json()) as {
      actions: Record<string, string>;
      jobs: Array<{ value: string; label: string }>;
      entityTypes: Array<{ value: string }>;
    };
    expect(labels.actions['invoice.sent']).toBe('Invoice sent');
    expect(labels.jobs).toEqual([expect.objectContaining({ value: 'NIGHTLY_SYNC', label: 'Nightly sync' })]);
    expect(labels.entityTypes.map((e) => e.value)).toEqual(['invoice']);
  });

  it('lets an explicit `catalog` option win over the recorder catalog', async () => {
    const activity = recorder();
    const handler = createActivityHandler({
      activity,
      authorize,
      catalog: {
        types: [],
        statuses: [],
        entityTypes: [],
        actions: { 'invoice.sent': 'Mailed' },
        jobs: [],
        providers: [],
        systemEvents: [],
      },
    });
    const labels = (await (await handler(new Request('http://app.test/catalog'))).json()) as {
      actions: Record<string, string>;
      jobs: unknown[];
    };
    expect(labels.actions).toEqual({ 'invoice.sent': 'Mailed' });
    expect(labels.jobs).toEqual([]);
  });

  it('reads entries from `activity.store` when `store` is omitted', async () => {
    const activity = recorder();
    activity.record({
      type: 'USER_ACTION',
      action: 'invoice.sent',
      entity: { type: 'invoice', id: 'inv_1' },
    });
    await activity.flush();
    const handler = createActivityHandler({ activity, authorize });
    const res = await handler(new Request('http://app.test/entries'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { entries: Array<{ action: string }> };
    expect(body.entries.map((e) => e.action)).toEqual(['invoice.sent']);
  });

  it('prefers an explicit `store` over the recorder store', async () => {
    const activity = recorder();
    activity.record({
      type: 'USER_ACTION',
      action: 'invoice.sent',
      entity: { type: 'invoice', id: 'inv_1' },
    });
    await activity.flush();
    const handler = createActivityHandler({ activity, store: createMemoryStore(), authorize });
    const body = (await (await handler(new Request('http://app.test/entries'))).json()) as {
      entries: unknown[];
    };
    expect(body.entries).toEqual([]);
  });

  it('fails at construction, naming `store`, with neither `store` nor `activity`', () => {
    let error: unknown;
    try {
      createActivityHandler({ authorize });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ActivityError);
    expect((error as ActivityError).code).toBe('CONFIG');
    expect((error as ActivityError).message).toMatch(/^store:/);
  });
});

describe('SQLite store — creates its folder, explains what stops it', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) {
      chmodSync(dir, 0o755);
      rmSync(dir, { recursive: true, force: true });
    }
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'first-log-'));
    dirs.push(dir);
    return dir;
  };
  const configError = (fn: () => unknown): ActivityError => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(ActivityError);
      return error as ActivityError;
    }
    throw new Error('expected a CONFIG error');
  };

  it('creates missing folders of `path` (getting-started.md uses ./data/activity.db)', async () => {
    const path = join(tempDir(), 'data', 'nested', 'activity.db');
    const store = createSqliteStore({ path });
    const result = await store.append([
      {
        id: 'e1',
        orgId: 'org_1',
        occurredAt: new Date().toISOString(),
        recordedAt: new Date().toISOString(),
        schemaVersion: 1,
        type: 'SYSTEM_EVENT',
        status: 'SUCCESS',
        actor: { kind: 'system', id: 'system' },
        action: 'booted',
      } as ActivityEntry,
    ]);
    expect(result.inserted).toBe(1);
    await store.close();
    expect(existsSync(path)).toBe(true);
  });

  it('names `path` and says a file stands where a folder should be', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data'), 'not a folder');
    const error = configError(() => createSqliteStore({ path: join(dir, 'data', 'activity.db') }));
    expect(error.code).toBe('CONFIG');
    expect(error.field).toBe('path');
    expect(error.message).toContain(join(dir, 'data', 'activity.db'));
    expect(error.message).toMatch(/folder cannot be created/);
    expect(error.message).not.toMatch(/^SQLITE_/);
  });

  it('says a folder stands where the file should be', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'activity.db'));
    const error = configError(() => createSqliteStore({ path: join(dir, 'activity.db') }));
    expect(error.code).toBe('CONFIG');
    expect(error.message).toMatch(/is a folder, not a file/);
  });

  it('says a read-only store needs an existing file', () => {
    const error = configError(() =>
      createSqliteStore({ path: join(tempDir(), 'missing.db'), readonly: true }),
    );
    expect(error.code).toBe('CONFIG');
    expect(error.message).toMatch(/does not exist/);
  });

  // Root writes anywhere: the permission cases run in a child process as an unprivileged user.
  const asUser = (script: string, ...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
      ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}),
    });
  const openScript = `
    import { createSqliteStore } from './src/sqlite.ts';
    try { createSqliteStore({ path: process.argv[1] }); console.log('opened'); }
    catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, field: e.field, message: e.message })); }`;

  it.each([
    ['a new file in a read-only folder', 'new.db'],
    ['an existing read-only file', 'old.db'],
  ])('reports %s as CONFIG naming `path`, not SQLITE_READONLY / SQLITE_CANTOPEN', (_, name) => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const old = createSqliteStore({ path: join(dir, 'old.db') });
    old.db.close();
    chmodSync(join(dir, 'old.db'), 0o444);
    chmodSync(dir, 0o555);
    const run = asUser(openScript, join(dir, name));
    expect(run.stderr).toBe('');
    const reported = JSON.parse(run.stdout.trim()) as { code: string; field: string; message: string };
    expect(reported.code).toBe('CONFIG');
    expect(reported.field).toBe('path');
    expect(reported.message).toContain(join(dir, name));
    expect(reported.message).toMatch(/not writable by this process/);
  });
});

describe('runtime catalog check — typos from plain JavaScript', () => {
  type Reported = { code: string; field: string | undefined; message: string; id: string | undefined };
  function withErrors(strictCatalog?: boolean) {
    const errors: Reported[] = [];
    const store = createMemoryStore();
    const activity = recorder({
      store,
      ...(strictCatalog === undefined ? {} : { strictCatalog }),
      onError: (e: ActivityError, entry?: { id?: string }) =>
        errors.push({ code: e.code, field: e.field, message: e.message, id: entry?.id }),
    });
    return { activity, store, errors };
  }
  // Untyped, as plain JavaScript would call it.
  const loose = (activity: unknown) =>
    activity as {
      record(input: Record<string, unknown>): string | undefined;
      job(name: string): { id: string; succeed(): Promise<void> };
      stats(): ReturnType<ReturnType<typeof createActivity>['stats']>;
      flush(): Promise<void>;
    };
  const sanity = (stats: ReturnType<ReturnType<typeof createActivity>['stats']>) => {
    const rejected = Object.values(stats.rejected).reduce((a, b) => a + b, 0);
    const dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0);
    expect(stats.calls).toBe(stats.accepted + rejected);
    expect(stats.accepted).toBe(stats.persisted + dropped + stats.pending);
  };

  it.each([
    [{ type: 'USER_ACTION', action: 'invoice.snet', entity: { type: 'invoice', id: 'i1' } }, 'action'],
    [{ type: 'USER_ACTION', action: 'invoce.sent', entity: { type: 'invoice', id: 'i1' } }, 'action'],
    [{ type: 'USER_ACTION', action: 'invoice.sent', entity: { type: 'invoce', id: 'i1' } }, 'entity.type'],
    [{ type: 'BACKGROUND_JOB', action: 'NIGHTLY_SYNCH' }, 'action'],
  ])('reports %j through onError naming `%s`, and still records it', async (input, field) => {
    const { activity, store, errors } = withErrors();
    const id = loose(activity).record(input);
    expect(id).toBeTypeOf('string');
    await activity.flush();
    expect(errors).toEqual([expect.objectContaining({ code: 'INVALID_EVENT', field, id })]);
    expect(errors[0]?.message).toMatch(/not a .* of the catalog|does not match/);
    expect(await store.get('org_1', id as string)).toBeDefined();
    const stats = activity.stats();
    expect(stats).toMatchObject({ calls: 1, accepted: 1, persisted: 1, rejected: {} });
    sanity(stats);
  });

  it('reports an unknown job name given to activity.job()', async () => {
    const { activity, errors } = withErrors();
    const run = loose(activity).job('NIGHTLY_SYNCH');
    await run.succeed();
    await activity.flush();
    expect(errors).toEqual([expect.objectContaining({ field: 'action', id: run.id })]);
    expect(errors[0]?.message).toContain('"NIGHTLY_SYNCH" is not a job name of the catalog');
    expect(errors[0]?.message).toContain('NIGHTLY_SYNC');
  });

  it('stays quiet for names the catalog declares', async () => {
    const { activity, errors } = withErrors();
    activity.record({ type: 'USER_ACTION', action: 'invoice.sent', entity: { type: 'invoice', id: 'i1' } });
    await activity.job('NIGHTLY_SYNC').succeed();
    activity.record({ type: 'SYSTEM_EVENT', action: 'anything.goes' }); // no systemEvents section: unchecked
    await activity.flush();
    expect(errors).toEqual([]);
  });

  it('strictCatalog: true rejects the entry and counts it in stats().rejected', async () => {
    const { activity, store, errors } = withErrors(true);
    const id = loose(activity).record({
      type: 'USER_ACTION',
      action: 'invoice.snet',
      entity: { type: 'invoice', id: 'i1' },
    });
    expect(id).toBeUndefined();
    const run = loose(activity).job('NIGHTLY_SYNCH');
    await run.succeed();
    await expect(
      (activity as unknown as { recordDurable(i: unknown): Promise<unknown> }).recordDurable({
        type: 'BACKGROUND_JOB',
        action: 'NOPE',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_EVENT', field: 'action' });
    activity.record({ type: 'USER_ACTION', action: 'invoice.sent', entity: { type: 'invoice', id: 'i2' } });
    await activity.flush();
    expect(errors.map((e) => e.field)).toEqual(['action', 'action']);
    const stats = activity.stats();
    expect(stats).toMatchObject({ calls: 4, accepted: 1, persisted: 1, rejected: { INVALID_EVENT: 3 } });
    sanity(stats);
    expect((await store.query({ orgId: 'org_1', limit: 10 })).entries).toHaveLength(1);
  });

  it('checks webhook providers and their event types when the catalog declares webhooks', () => {
    const hooks = defineCatalog({
      entities: {},
      webhooks: { stripe: { label: 'Stripe', events: ['invoice.paid'] } },
    });
    const candidate = (provider: string, action: string) => ({
      type: 'WEBHOOK',
      action,
      webhook: { provider, eventType: action },
    });
    expect(checkCatalog(hooks, candidate('stripe', 'invoice.paid'))).toBeUndefined();
    expect(checkCatalog(hooks, candidate('strpe', 'invoice.paid'))?.field).toBe('webhook.provider');
    expect(checkCatalog(hooks, candidate('stripe', 'invoice.payed'))?.field).toBe('action');
  });

  it('never throws on hostile input and quotes at most a bounded part of a huge value', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
      },
    );
    expect(checkCatalog(catalog, { type: 'USER_ACTION', action: 'invoice.sent', entity: hostile })).toBe(
      undefined,
    );
    const error = checkCatalog(catalog, { type: 'BACKGROUND_JOB', action: 'X'.repeat(1_000_000) });
    expect(error?.message.length).toBeLessThan(300);
  });
});

describe('cors option — a page on another origin (a Vite dev server) without a proxy', () => {
  const page = 'http://localhost:5173';
  const api = 'http://127.0.0.1:3000/api/activity';
  const setup = () => {
    const activity = recorder({ retryable: { jobs: ['NIGHTLY_SYNC'] } });
    const handler = createActivityHandler({
      activity,
      authorize,
      cors: { origin: page },
      retry: { jobs: { NIGHTLY_SYNC: async () => undefined } },
    });
    closers.push(() => handler.close());
    return handler;
  };

  it('answers a preflight from the configured origin, and refuses another', async () => {
    const handler = setup();
    const preflight = (origin: string) =>
      handler(
        new Request(`${api}/export.csv`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'GET',
            'access-control-request-headers': 'x-activity-request',
          },
        }),
      );
    const ok = await preflight(page);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(page);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    expect(ok.headers.get('access-control-allow-headers')).toBe('x-activity-request');
    const foreign = await preflight('https://evil.example');
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('adds CORS headers for the configured origin only', async () => {
    const handler = setup();
    const get = (origin: string) => handler(new Request(`${api}/entries`, { headers: { origin } }));
    const ok = await get(page);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(page);
    expect(ok.headers.get('vary')).toMatch(/Origin/);
    const foreign = await get('https://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets the configured origin through the cross-site checks, and nothing else', async () => {
    const handler = createActivityHandler({
      store: createMemoryStore(),
      authorize: () => ({ ...viewer, permissions: ['read', 'retry'] }),
      cors: { origin: page },
    });
    const post = (origin: string, site: string) =>
      handler(
        new Request(`${api}/entries/missing/retry`, {
          method: 'POST',
          headers: { origin, 'sec-fetch-site': site },
        }),
      );
    // Past the check, the route answers 404: there is no such entry.
    const fromPage = await post(page, 'same-site');
    expect(fromPage.status).toBe(404);
    expect(fromPage.headers.get('access-control-allow-origin')).toBe(page);
    const sameSiteOther = await post('http://localhost:6006', 'same-site');
    expect(sameSiteOther.status).toBe(403);
    expect(((await sameSiteOther.json()) as { error: { field: string } }).error.field).toBe('Sec-Fetch-Site');
    const foreign = await post('https://evil.example', 'cross-site');
    expect(foreign.status).toBe(403);
  });

  it.each([
    ['*', /"\*" is not allowed/],
    ['localhost:5173', /not an http\(s\) origin/],
    ['http://localhost:5173/app', /has a path/],
  ])('refuses cors.origin %j at construction', (origin, message) => {
    let error: unknown;
    try {
      createActivityHandler({ store: createMemoryStore(), authorize, cors: { origin } });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'CONFIG', field: 'cors.origin' });
    expect((error as Error).message).toMatch(message);
  });
});
