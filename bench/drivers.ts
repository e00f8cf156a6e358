/** Database drivers for the store benchmarks, loaded from @activity/sdk's own dependencies. */
import { createRequire } from 'node:module';
import type CH from '@clickhouse/client';
import type Pg from 'pg';
import type PgCopy from 'pg-copy-streams';

const sdkRequire = createRequire(new URL('../packages/sdk/package.json', import.meta.url));

export const pg = sdkRequire('pg') as typeof Pg;
export const pgCopy = sdkRequire('pg-copy-streams') as typeof PgCopy;
export const clickhouse = sdkRequire('@clickhouse/client') as typeof CH;

/** A @clickhouse/client client on chdb's in-process engine. */
export function chdbClient(path = ':memory:'): CH.ClickHouseClient {
  const { createChdbConnection } = sdkRequire('chdb/connection') as typeof import('chdb/connection');
  type Connection = NonNullable<Parameters<typeof clickhouse.createClient>[0]>['connection'];
  return clickhouse.createClient({ connection: createChdbConnection({ path }) as unknown as Connection });
}

/** PostgreSQL of the benchmarks (the test database unless ACTIVITY_PG_URL says otherwise). */
export const PG_URL = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
