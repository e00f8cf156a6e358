import type { HistogramBucket } from '@activity/sdk/client';
import type { ComponentProps, ReactNode } from 'react';
import { useActivityContext, useThemeAttributes } from './context.js';
import { formatShort } from './format.js';
import { cx } from './StatusBadge.js';

/** Props of {@link Histogram}. */
export interface HistogramProps extends Omit<ComponentProps<'div'>, 'onSelect'> {
  buckets: readonly HistogramBucket[];
  /** Click on a bar: receives the bucket and its width in ms (to narrow the date range). */
  onSelectBucket?: ((bucket: HistogramBucket, widthMs: number) => void) | undefined;
  /** Bucket width in ms; inferred from the gap between buckets when omitted. */
  bucketMs?: number | undefined;
  loading?: boolean | undefined;
}

/** Width of a bucket: the gap to its neighbour, the same for all buckets. */
export function bucketWidthMs(buckets: readonly HistogramBucket[]): number {
  const a = buckets[0];
  const b = buckets[1];
  if (!a || !b) return 3_600_000;
  return Math.max(1000, Math.abs(Date.parse(b.start) - Date.parse(a.start)));
}

/** Entries over time as bars, failures highlighted; each bar is a button that narrows the range to it. */
export function Histogram({
  buckets,
  bucketMs,
  onSelectBucket,
  loading,
  className,
  ...rest
}: HistogramProps): ReactNode {
  const { strings, locale, timeZone } = useActivityContext();
  const themed = useThemeAttributes();
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const width = bucketMs ?? bucketWidthMs(buckets);
  return (
    // biome-ignore lint/a11y/useSemanticElements: a fieldset would style and announce the bars as a form
    <div
      role="group"
      aria-label={strings.histogramLabel}
      aria-busy={loading ? true : undefined}
      data-theme={themed['data-theme']}
      {...rest}
      className={cx(themed.className, 'activity-histogram', className)}
      data-state={loading ? 'loading' : 'ready'}
    >
      {buckets.map((bucket) => {
        const when = formatShort(bucket.start, { locale, timeZone });
        const total = (bucket.count / max) * 100;
        const failed = bucket.count ? (Math.min(bucket.failures, bucket.count) / bucket.count) * total : 0;
        return (
          <button
            key={bucket.start}
            type="button"
            className="activity-histogram-bar"
            aria-label={strings.histogramBar(when, bucket.count, bucket.failures)}
            title={strings.histogramBar(when, bucket.count, bucket.failures)}
            data-failures={bucket.failures > 0 ? '' : undefined}
            onClick={() => onSelectBucket?.(bucket, width)}
          >
            <svg viewBox="0 0 10 100" preserveAspectRatio="none" aria-hidden="true" focusable="false">
              <rect
                className="activity-histogram-total"
                x="0"
                y={100 - total}
                width="10"
                height={total}
                rx="1"
              />
              {failed > 0 && (
                <rect
                  className="activity-histogram-failed"
                  x="0"
                  y={100 - failed}
                  width="10"
                  height={failed}
                  rx="1"
                />
              )}
            </svg>
          </button>
        );
      })}
    </div>
  );
}
