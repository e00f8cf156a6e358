/**
 * What the store contract's groups share: the test runner's functions (bound by `runStoreContract`
 * before any group registers), the entry builder with deterministic ids, and paging and error helpers.
 */
import { UUID } from 'uuidv7';
import { isActivityError } from '../errors.js';
import type { ActivityEntry, ActivityStore, StoreQuery } from '../types.js';
import type { StoreContractTestApi } from './contract.js';

/** The runner's functions; filled by {@link bindRunner} before any group registers. */
export const runner = {} as StoreContractTestApi;

/** Binds the runner the groups and helpers use (the last `runStoreContract` call's). */
export function bindRunner(api: StoreContractTestApi): void {
  const { describe, it, expect, beforeEach, afterEach } = api;
  Object.assign(runner, { describe, it, expect, beforeEach, afterEach });
}

/** True when the environment asks for the long forms of the property tests (ACTIVITY_LONG=1). */
export function longRun(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.ACTIVITY_LONG === '1';
}

export const BASE = Date.parse('2026-03-15T12:00:00.000Z');
let seq = 0;

/** A deterministic UUIDv7 for `ms`, unique within the test run. */
export function idAt(ms: number): string {
  seq++;
  // UUIDv7 holds times from 1970 on: earlier entries (fault 4) take the epoch's.
  return UUID.fromFieldsV7(
    Math.max(0, ms),
    seq & 0xfff,
    (seq * 7919) & 0x3fffffff,
    (seq * 104_729) >>> 0,
  ).toString();
}

/** A minimal valid entry; `overrides` win. */
export function entry(overrides: Partial<ActivityEntry> & { at?: number } = {}): ActivityEntry {
  const { at, ...rest } = overrides;
  const ms = at ?? BASE;
  return {
    id: idAt(ms),
    orgId: 'org_a',
    occurredAt: new Date(ms).toISOString(),
    recordedAt: new Date(ms + 5).toISOString(),
    schemaVersion: 1,
    type: 'USER_ACTION',
    status: 'SUCCESS',
    actor: { kind: 'user', id: 'usr_riley', name: 'Riley Park' },
    action: 'contact.updated',
    entity: { type: 'contact', id: 'ct_alex', label: 'Alex Chen' },
    ...rest,
  };
}

/** Every entry matching a query, following `next` to the end. */
export async function collect(
  store: ActivityStore,
  query: StoreQuery,
  limit = 100,
): Promise<ActivityEntry[]> {
  const out: ActivityEntry[] = [];
  let after = query.after;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await store.query({ ...query, limit, after });
    out.push(...page.entries);
    if (!page.next) return out;
    runner.expect(page.entries.length).toBe(limit);
    after = page.next;
  }
  throw new Error('paging did not terminate');
}

export const ids = (entries: ActivityEntry[]) => entries.map((e) => e.id);

export async function expectInvalid(promise: Promise<unknown>, field: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  runner.expect(isActivityError(error, 'INVALID_FILTER'), `expected INVALID_FILTER on ${field}`).toBe(true);
  runner.expect((error as { field?: string }).field).toBe(field);
}
