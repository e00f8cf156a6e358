/**
 * The conformance suite's query oracle: fast-check generates entries (years 1 to 9999, before 1970,
 * identical timestamps) and filter combinations, and a store's pages (walked through the cursor),
 * facets and histogram must equal the plain model's (`queryModel.ts`).
 */
import type FastCheck from 'fast-check';
import type * as Vitest from 'vitest';
import { MAX_INSTANT_MS, MIN_INSTANT_MS } from '../core/isoDate.js';
import {
  ACTIVITY_STATUSES,
  ACTIVITY_TYPES,
  type ActivityEntry,
  type ActivityStatus,
  type ActivityStore,
  type StoreQuery,
} from '../types.js';
import { type ModelFilter, modelFacets, modelHistogram, modelSelect } from './queryModel.js';

/** fast-check's module, as `import fc from 'fast-check'` gives it. */
export type FastCheckModule = typeof FastCheck;

/** One generated case: entries over a few orgs and the queries to compare. */
interface OracleCase {
  entries: ActivityEntry[];
  queries: { filter: Omit<ModelFilter, 'orgId'>; org: number; limit: number; bucketMs: number }[];
}

const ACTORS = ['usr_riley', 'usr_alex', 'stripe', 'system'];
const NAMES = ['Riley Park', 'alex', 'ZOË Müller', 'Stripe'];
const ENTITY_TYPES = ['contact', 'release', 'order'];
const ENTITY_IDS = ['ct_1', 'ct_2', 'rel_9'];
const ACTIONS = ['contact.updated', 'ORDER_PAID', 'stock_adjusted', 'refund 50% issued'];
const WORDS = ['Spring reds', 'PAID in full', 'stock_adjusted', '50% off', 'Zoë', 'c:\\wine'];
const QUERIES = ['contact', 'ALEX', 'paid', '%', '_', 'zoë', '\\', 'o', 'nothing matches this'];
const BUCKETS = [1000, 7000, 60_000, 3_600_000, 86_400_000, 2_592_000_000, 31_556_952_000];
const EDGES = [
  MIN_INSTANT_MS,
  MAX_INSTANT_MS,
  -1,
  0,
  1,
  -86_400_000,
  Date.UTC(1969, 11, 31, 23, 59, 59, 999),
];

function arbitraries(fc: FastCheckModule) {
  const instant = fc.oneof(
    fc.integer({ min: MIN_INSTANT_MS, max: MAX_INSTANT_MS }),
    fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2100, 0, 1) }),
    fc.constantFrom(...EDGES),
  );
  const optional = <T>(arb: FastCheck.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  // A few instants per case, shared by its entries (identical timestamps) and its filter bounds.
  const pool = fc.array(instant, { minLength: 1, maxLength: 6 });
  // Most entries and queries in the first org; the others are there to be left out.
  const org = fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.nat(2), weight: 2 });
  const entrySpec = fc.record({
    at: fc.nat(),
    org,
    type: fc.constantFrom(...ACTIVITY_TYPES),
    status: fc.constantFrom(...ACTIVITY_STATUSES.filter((s) => s !== 'IN_PROGRESS')),
    running: fc.boolean(),
    actor: fc.nat(ACTORS.length - 1),
    name: optional(fc.constantFrom(...NAMES)),
    action: fc.constantFrom(...ACTIONS),
    entity: optional(
      fc.record({
        type: fc.constantFrom(...ENTITY_TYPES),
        id: fc.constantFrom(...ENTITY_IDS),
        label: optional(fc.constantFrom(...WORDS)),
      }),
    ),
    summary: optional(fc.constantFrom(...WORDS)),
    key: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 3 }),
  });
  // Each filter axis is set in about one query of four, so combinations still select something.
  const rarely = <T>(arb: FastCheck.Arbitrary<T>) =>
    fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: arb, weight: 1 });
  const sub = <T>(values: readonly T[]) =>
    rarely(fc.subarray([...values], { minLength: 1, maxLength: 2 })).map((v) => v ?? []);
  const bound = fc.oneof(
    fc.nat().map((i) => ({ pool: i })),
    instant.map((ms) => ({ ms })),
  );
  const querySpec = fc.record({
    org,
    types: sub(ACTIVITY_TYPES),
    statuses: sub(ACTIVITY_STATUSES),
    actorIds: sub(ACTORS),
    entityTypes: sub(ENTITY_TYPES),
    entityId: rarely(fc.constantFrom(...ENTITY_IDS)),
    from: fc.option(bound, { freq: 2, nil: undefined }),
    to: fc.option(bound, { freq: 2, nil: undefined }),
    q: rarely(fc.constantFrom(...QUERIES)),
    limit: fc.integer({ min: 1, max: 7 }),
    bucketMs: fc.constantFrom(...BUCKETS),
  });
  return fc.record({
    orgs: fc.integer({ min: 2, max: 3 }),
    pool,
    entries: fc.array(entrySpec, { minLength: 1, maxLength: 24, size: 'max' }),
    queries: fc.array(querySpec, { minLength: 1, maxLength: 3 }),
  });
}

let runs = 0;

/** Builds the entries and queries of one generated case, in orgs no other case uses. */
function build(spec: ReturnType<typeof arbitraries> extends FastCheck.Arbitrary<infer T> ? T : never) {
  runs++;
  const orgId = (n: number) => `oracle_${runs}_${n % spec.orgs}`;
  const at = (i: number) => spec.pool[i % spec.pool.length] as number;
  const iso = (ms: number) => new Date(ms).toISOString();
  const entries: ActivityEntry[] = spec.entries.map((e, i) => {
    const status: ActivityStatus = e.type === 'BACKGROUND_JOB' && e.running ? 'IN_PROGRESS' : e.status;
    const entry: ActivityEntry = {
      // Unique, and unordered relative to time, so ties on occurredAt are broken by id.
      id: `evt_${e.key}_${runs}_${i}`,
      orgId: orgId(e.org),
      occurredAt: iso(at(e.at)),
      recordedAt: iso(at(e.at)),
      schemaVersion: 1,
      type: e.type,
      status,
      actor: { kind: 'user', id: ACTORS[e.actor] as string },
      action: e.action,
    };
    if (e.name !== undefined) entry.actor.name = e.name;
    if (e.entity !== undefined) {
      entry.entity = { type: e.entity.type, id: e.entity.id };
      if (e.entity.label !== undefined) entry.entity.label = e.entity.label;
    }
    if (e.summary !== undefined) entry.summary = e.summary;
    return entry;
  });
  const boundIso = (b: { pool: number } | { ms: number } | undefined) =>
    b === undefined ? undefined : iso('pool' in b ? at(b.pool) : b.ms);
  const queries = spec.queries.map((q) => {
    const filter: Omit<ModelFilter, 'orgId'> = {};
    if (q.types.length) filter.types = q.types;
    if (q.statuses.length) filter.statuses = q.statuses;
    if (q.actorIds.length) filter.actorIds = q.actorIds;
    if (q.entityTypes.length) filter.entityTypes = q.entityTypes;
    if (q.entityId !== undefined) filter.entityId = q.entityId;
    const from = boundIso(q.from);
    const to = boundIso(q.to);
    if (from !== undefined) filter.from = from;
    if (to !== undefined) filter.to = to;
    if (q.q !== undefined) filter.q = q.q;
    return { filter, org: q.org, limit: q.limit, bucketMs: q.bucketMs };
  });
  return { orgId, case: { entries, queries } satisfies OracleCase };
}

/** Every page of a query, following the cursor; checks each page against the model's slice. */
async function walk(
  store: ActivityStore,
  query: StoreQuery,
  expected: ActivityEntry[],
  expect: typeof Vitest.expect,
): Promise<void> {
  let after: StoreQuery['after'];
  let offset = 0;
  const limit = query.limit ?? 50;
  for (let guard = 0; guard <= expected.length; guard++) {
    const page = await store.query({ ...query, after });
    const want = expected.slice(offset, offset + limit);
    expect(page.entries, `page at ${offset} of ${JSON.stringify(query)}`).toEqual(want);
    offset += page.entries.length;
    if (!page.next) {
      expect(offset, `pages end early for ${JSON.stringify(query)}`).toBe(expected.length);
      return;
    }
    expect(offset).toBeLessThan(expected.length + 1);
    after = page.next;
  }
  throw new Error(`paging did not end for ${JSON.stringify(query)}`);
}

/** Options of {@link checkQueryOracle}. */
export interface QueryOracleOptions {
  fc: FastCheckModule;
  expect: typeof Vitest.expect;
  /** Generated cases. */
  numRuns: number;
  seed?: number | undefined;
}

/** Runs the oracle against one store: for every generated case, pages, facets and histogram equal the model's. */
export async function checkQueryOracle(store: ActivityStore, options: QueryOracleOptions): Promise<void> {
  const { fc, expect } = options;
  await fc.assert(
    fc.asyncProperty(arbitraries(fc), async (spec) => {
      const { orgId, case: c } = build(spec);
      // Two batches, as the pipeline writes them.
      const half = Math.floor(c.entries.length / 2);
      if (half > 0) await store.append(c.entries.slice(0, half));
      if (c.entries.length > half) await store.append(c.entries.slice(half));
      for (const q of c.queries) {
        const filter: ModelFilter = { ...q.filter, orgId: orgId(q.org) };
        await walk(store, { ...filter, limit: q.limit }, modelSelect(c.entries, filter), expect);
        expect(await store.facets(filter), `facets of ${JSON.stringify(filter)}`).toEqual(
          modelFacets(c.entries, filter),
        );
        expect(
          await store.histogram({ ...filter, bucketMs: q.bucketMs }),
          `histogram of ${JSON.stringify(filter)} by ${q.bucketMs}`,
        ).toEqual(modelHistogram(c.entries, filter, q.bucketMs));
      }
    }),
    { numRuns: options.numRuns, seed: options.seed, endOnFailure: false },
  );
}
