/**
 * The conformance suite every {@link ActivityStore} runs. The test runner's functions are passed in
 * (`options.test`), so this module imports no test framework and the `/testing` entry stays safe to
 * bundle for Storybook and browsers.
 */
import type * as Vitest from 'vitest';
import type { ActivityStore } from '../types.js';
import { facetsContract, histogramContract } from './contractAggregates.js';
import { datesContract } from './contractDates.js';
import { filtersContract, freeTextContract, tenantIsolationContract } from './contractFilters.js';
import { bindRunner, longRun, runner } from './contractKit.js';
import { deleteBeforeContract, lifecycleContract } from './contractMaintenance.js';
import { keysetPagingContract } from './contractPaging.js';
import { appendAndGetContract, idempotencyContract, updateJobContract } from './contractWrites.js';
import { checkQueryOracle, type FastCheckModule } from './queryOracle.js';

/** The test-runner functions the suite uses (vitest's, or a compatible runner's). */
export interface StoreContractTestApi {
  describe: typeof Vitest.describe;
  it: typeof Vitest.it;
  expect: typeof Vitest.expect;
  beforeEach: typeof Vitest.beforeEach;
  afterEach: typeof Vitest.afterEach;
}

/** Options of {@link runStoreContract}. */
export interface StoreContractOptions {
  /**
   * The runner's functions.
   * @example import { afterEach, beforeEach, describe, expect, it } from 'vitest';
   * runStoreContract('sqlite', factory, { test: { describe, it, expect, beforeEach, afterEach } });
   */
  test: StoreContractTestApi;
  /** Runs after each test, before `close()` (drop a schema, remove a temp dir). */
  cleanup?: (store: ActivityStore) => Promise<void>;
  /**
   * fast-check (`import fc from 'fast-check'`), to run the query oracle: generated entries and filters
   * whose pages, facets and histogram must equal a plain model's. Without it the oracle is skipped.
   */
  fastCheck?: FastCheckModule | undefined;
  /**
   * Generated cases of the query oracle; keep it small for slow stores in CI.
   * @default 12, or 150 when the environment sets ACTIVITY_LONG=1
   */
  oracleRuns?: number | undefined;
}

/** Registers "query oracle": pages, facets and histogram equal a plain model's (needs `fastCheck`). */
function queryOracleContract(current: () => ActivityStore, options: StoreContractOptions): void {
  const { describe, it, expect } = runner;
  describe('query oracle', () => {
    const fc = options.fastCheck;
    const runs = options.oracleRuns ?? (longRun() ? 150 : 12);
    (fc ? it : it.skip)(
      `pages, facets and histogram equal a plain model's over generated entries and filters (${runs} cases)`,
      async () => {
        if (!fc) return;
        await checkQueryOracle(current(), { fc, expect, numRuns: runs });
      },
      longRun() ? 1_800_000 : 120_000,
    );
  });
}

/**
 * Registers the store conformance suite: round-trips, idempotency, job updates, tenant isolation,
 * filters, keyset paging, facets, histogram, retention and limits. `factory` must return an empty store.
 * @example runStoreContract('sqlite', () => createSqliteStore({ path: tempFile() }));
 */
export function runStoreContract(
  name: string,
  factory: () => Promise<ActivityStore> | ActivityStore,
  options: StoreContractOptions,
): void {
  bindRunner(options.test);
  const { describe, beforeEach, afterEach } = runner;
  describe(`${name} store contract`, () => {
    let store: ActivityStore;

    beforeEach(async () => {
      store = await factory();
    });

    afterEach(async () => {
      if (options.cleanup) await options.cleanup(store);
      await store.close();
    });

    const current = () => store;
    appendAndGetContract(current);
    idempotencyContract(current);
    updateJobContract(current);
    tenantIsolationContract(current);
    filtersContract(current);
    freeTextContract(current);
    keysetPagingContract(current);
    facetsContract(current);
    histogramContract(current);
    datesContract(current);
    queryOracleContract(current, options);
    deleteBeforeContract(current);
    lifecycleContract(current);
  });
}
