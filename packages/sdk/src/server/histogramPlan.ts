/**
 * The histogram's span and bucket width for a resolved filter: the span is the filter's own bounds
 * (what list, facets and export select), and a bound the filter leaves open (`range=all`, only `from`)
 * is found from the data, so every entry those routes count lands in a bucket inside [from, to).
 */
import { MAX_INSTANT_MS, MIN_INSTANT_MS } from '../core/isoDate.js';
import { toMs } from '../core/storeQuery.js';
import { ActivityError } from '../errors.js';
import type { ResolvedFilter } from '../filters.js';
import type { ActivityStore } from '../types.js';

/** Histogram bucket widths the API offers, by name. */
export const HISTOGRAM_BUCKETS = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '3h': 10_800_000,
  '6h': 21_600_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
  '7d': 604_800_000,
  '30d': 2_592_000_000,
} as const;
/** A histogram bucket name. */
export type HistogramBucketName = keyof typeof HISTOGRAM_BUCKETS;

/** Bucket count the automatic choice aims to stay under; an explicit bucket may go up to MAX_BUCKETS. */
const TARGET_BUCKETS = 120;
const MAX_BUCKETS = 2000;
const COARSEST = HISTOGRAM_BUCKETS['30d'];
/** Span drawn when an open range holds no entry at all. */
const EMPTY_SPAN_MS = 86_400_000;

/** The histogram a request asks for: its span (`from` inclusive, `to` exclusive) and bucket. */
export interface HistogramPlan {
  bucket: HistogramBucketName;
  bucketMs: number;
  fromMs: number;
  toMs: number;
}

/** The chosen (or asked) bucket for a span; throws `INVALID_FILTER` on `bucket` for an unknown or too fine one. */
function chooseBucket(spanMs: number, asked: string | null): HistogramBucketName {
  if (!asked) {
    const names = Object.keys(HISTOGRAM_BUCKETS) as HistogramBucketName[];
    return names.find((n) => spanMs / HISTOGRAM_BUCKETS[n] <= TARGET_BUCKETS) ?? '30d';
  }
  if (!Object.hasOwn(HISTOGRAM_BUCKETS, asked)) {
    throw new ActivityError(
      'INVALID_FILTER',
      `bucket: "${asked.slice(0, 40)}" is not one of ${Object.keys(HISTOGRAM_BUCKETS).join(', ')}`,
      { field: 'bucket' },
    );
  }
  const bucket = asked as HistogramBucketName;
  if (spanMs / HISTOGRAM_BUCKETS[bucket] > MAX_BUCKETS) {
    throw new ActivityError('INVALID_FILTER', `bucket: "${asked}" gives more than ${MAX_BUCKETS} buckets`, {
      field: 'bucket',
    });
  }
  return bucket;
}

/**
 * Plans a histogram. A closed filter spans [from, to). An open end is taken from the data: the
 * oldest matching entry's 30-day bucket for `from`; for `to`, now or the end of the newest entry's
 * 30-day bucket, whichever is later (one coarse histogram query finds both).
 */
export async function planHistogram(
  store: ActivityStore,
  orgId: string,
  filter: ResolvedFilter,
  nowMs: number,
  asked: string | null,
): Promise<HistogramPlan> {
  let fromMs = filter.from === undefined ? undefined : toMs(filter.from, 'from');
  let endMs = filter.to === undefined ? undefined : toMs(filter.to, 'to');
  if (fromMs === undefined || endMs === undefined) {
    const coarse = await store.histogram({ ...filter, orgId, bucketMs: COARSEST });
    const first = coarse[0];
    const last = coarse[coarse.length - 1];
    endMs ??= Math.max(nowMs, last ? Date.parse(last.start) + COARSEST : nowMs);
    fromMs ??= first ? Date.parse(first.start) : Math.min(endMs, nowMs) - EMPTY_SPAN_MS;
  }
  // Report bounds every store and parser accepts (a 30-day bucket may start before year 1).
  fromMs = Math.max(MIN_INSTANT_MS, fromMs);
  endMs = Math.min(MAX_INSTANT_MS, endMs);
  const bucket = chooseBucket(Math.max(1, endMs - fromMs), asked);
  return { bucket, bucketMs: HISTOGRAM_BUCKETS[bucket], fromMs, toMs: endMs };
}
