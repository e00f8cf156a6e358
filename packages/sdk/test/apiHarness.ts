/**
 * Shared set-up of the query API integration tests: a real SQLite file in a temp dir, seeded for two
 * orgs, the real recorder, the handler behind node:http on 127.0.0.1, and a client per viewer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7 } from 'uuidv7';
import { type ActivityClient, createActivityClient } from '../src/client/index.js';
import type { ActivityRecorder } from '../src/core/api.js';
import { createActivity } from '../src/core/index.js';
import {
  type ActivityHandler,
  type ActivityHandlerOptions,
  createActivityHandler,
} from '../src/server/handler.js';
import { toNodeHandler } from '../src/server/node.js';
import { createSqliteStore, type SqliteStore } from '../src/sqlite/index.js';
import { generateActivity } from '../src/testing/index.js';
import type { ActivityEntry, Viewer } from '../src/types.js';

/** The viewers tests act as, by bearer token. */
export const VIEWERS: Record<string, Viewer> = {
  'a-admin': {
    orgId: 'org_a',
    userId: 'usr_alice',
    name: 'Alice Admin',
    permissions: ['read', 'retry', 'export'],
  },
  'a-reader': { orgId: 'org_a', userId: 'usr_rob', name: 'Rob Reader', permissions: ['read'] },
  'b-admin': {
    orgId: 'org_b',
    userId: 'usr_bea',
    name: 'Bea Admin',
    permissions: ['read', 'retry', 'export'],
  },
};

/** A running API over a seeded store. */
export interface Harness {
  store: SqliteStore;
  activity: ActivityRecorder;
  handler: ActivityHandler;
  server: Server;
  /** `http://127.0.0.1:<port>/api/activity`. */
  baseUrl: string;
  /** Seeded entries by org. */
  seeded: Record<string, ActivityEntry[]>;
  /** A client authenticated as one of {@link VIEWERS}. */
  client(token: keyof typeof VIEWERS | string): ActivityClient;
  /** Raw fetch against the API, authenticated with `token` (when given). */
  fetch(path: string, init?: RequestInit & { token?: string | undefined }): Promise<Response>;
  /** Stops the server and removes the temp dir. */
  close(): Promise<void>;
  /** The temp dir holding the database. */
  dir: string;
}

/** Options on top of the defaults. */
export interface HarnessOptions
  extends Partial<Omit<ActivityHandlerOptions, 'store' | 'authorize' | 'activity'>> {
  /** Seeded entries per org. @default 300 */
  perOrg?: number | undefined;
  retryable?: { jobs?: string[]; providers?: string[] } | undefined;
}

/** Starts the API. The seeded data spans two days ending now, so the default 24 h range holds part of it. */
export async function startApi(options: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'activity-api-'));
  const store = createSqliteStore({ path: join(dir, 'activity.db') });
  const perOrg = options.perOrg ?? 300;
  const entries = generateActivity({
    count: perOrg * 2,
    orgIds: ['org_a', 'org_b'],
    seed: 7,
    now: new Date(),
    spanDays: 2,
  });
  await store.append(entries);
  const seeded: Record<string, ActivityEntry[]> = { org_a: [], org_b: [] };
  for (const e of entries) seeded[e.orgId]?.push(e);

  const activity = createActivity({
    store,
    defaultOrgId: 'org_a',
    retryable: {
      jobs: options.retryable?.jobs ?? Object.keys(options.retry?.jobs ?? {}),
      providers: options.retryable?.providers ?? Object.keys(options.retry?.providers ?? {}),
    },
  });
  const { perOrg: _p, retryable: _r, ...handlerOptions } = options;
  const handler = createActivityHandler({
    basePath: '/api/activity',
    tailPollMs: 50,
    tailHeartbeatMs: 200,
    ...handlerOptions,
    store,
    activity,
    authorize: (request) => {
      const token = request.headers.get('authorization')?.replace(/^Bearer /, '');
      return (token && VIEWERS[token]) || null;
    },
  });
  const server = createServer(toNodeHandler(handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}/api/activity`;

  return {
    store,
    activity,
    handler,
    server,
    baseUrl,
    seeded,
    dir,
    client: (token) => createActivityClient({ baseUrl, headers: { authorization: `Bearer ${token}` } }),
    fetch: (path, init = {}) => {
      const { token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token) headers.set('authorization', `Bearer ${token}`);
      return fetch(`${baseUrl}${path}`, { ...rest, headers });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handler.close();
      await activity.shutdown();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A minimal SSE reader over a fetch response, for tests that assert on the raw stream. */
export function readEvents(response: Response): {
  events: { event: string; id: string | undefined; data: string }[];
  text: () => string;
  stop: () => Promise<void>;
} {
  const events: { event: string; id: string | undefined; data: string }[] = [];
  let raw = '';
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        raw += value;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          let event = 'message';
          let id: string | undefined;
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) events.push({ event, id, data: data.join('\n') });
        }
      }
    } catch {
      // Cancelled by stop().
    }
  })();
  return { events, text: () => raw, stop: () => reader.cancel().catch(() => {}) };
}

/** A new entry for `orgId` occurring now (for "entries keep arriving" tests). */
export function freshEntry(orgId: string, n: number, overrides: Partial<ActivityEntry> = {}): ActivityEntry {
  const at = new Date().toISOString();
  return {
    id: uuidv7(),
    orgId,
    occurredAt: at,
    recordedAt: at,
    schemaVersion: 1,
    type: 'USER_ACTION',
    status: 'SUCCESS',
    actor: { kind: 'user', id: 'usr_fresh', name: 'Fresh User' },
    action: 'contact.updated',
    entity: { type: 'contact', id: `c_${n}`, label: `Fresh ${n}` },
    ...overrides,
  };
}
