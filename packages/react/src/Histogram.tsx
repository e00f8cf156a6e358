import type { HistogramBucket } from '@activity/sdk/client';
import { Tooltip } from 'radix-ui';
import {
  type ComponentProps,
  type KeyboardEvent,
  type ReactNode,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { useActivityContext, useThemeAttributes } from './context.js';
import { axisTicks, bucketRangeLabel, fillBuckets, type HistogramSlot } from './histogramAxis.js';
import { cx } from './StatusBadge.js';

/** Props of {@link Histogram}. */
export interface HistogramProps extends Omit<ComponentProps<'div'>, 'onSelect'> {
  buckets: readonly HistogramBucket[];
  /** Click (or Enter) on a bar: receives the bucket and its width in ms (to narrow the date range). */
  onSelectBucket?: ((bucket: HistogramBucket, widthMs: number) => void) | undefined;
  /** Bucket width in ms; inferred from the gap between buckets when omitted. */
  bucketMs?: number | undefined;
  /** Start of the span drawn (the histogram answer's `from`); empty buckets are drawn from here. */
  from?: string | undefined;
  /** End (exclusive) of the span drawn (the answer's `to`). */
  to?: string | undefined;
  /** The selected date range: bars inside it are highlighted, the others dimmed. */
  selected?: { from?: string | undefined; to?: string | undefined } | undefined;
  loading?: boolean | undefined;
}

/** Width of a bucket: the gap to its neighbour, the same for all buckets. */
export function bucketWidthMs(buckets: readonly HistogramBucket[]): number {
  const a = buckets[0];
  const b = buckets[1];
  if (!a || !b) return 3_600_000;
  return Math.max(1000, Math.abs(Date.parse(b.start) - Date.parse(a.start)));
}

/** Pixels per axis label: labels never crowd, whatever the width. */
const PX_PER_TICK = 64;

/** Width of an element, kept current; `fallback` before layout (and where ResizeObserver is missing). */
function useWidth(fallback: number): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const update = () => setWidth(el.clientWidth || fallback);
    update();
    const observer = new ResizeObserver(update);
    observer.observe(el);
    return () => observer.disconnect();
  }, [fallback]);
  return [ref, width];
}

/**
 * Entries over time as bars, failures highlighted, with a time axis in the viewer's zone. Each bar is a
 * button (one tab stop for all: arrows, Home and End move between bars) with an immediate tooltip giving
 * its range, count and failures; a click or Enter narrows the range to it.
 */
export function Histogram({
  buckets,
  bucketMs,
  from,
  to,
  selected,
  onSelectBucket,
  loading,
  className,
  ...rest
}: HistogramProps): ReactNode {
  const { strings, locale, timeZone, theme } = useActivityContext();
  const themed = useThemeAttributes();
  const width = bucketMs ?? bucketWidthMs(buckets);
  const slots = useMemo(() => fillBuckets(buckets, width, from, to), [buckets, width, from, to]);
  const [ref, px] = useWidth(600);
  const startMs = slots[0]?.startMs ?? 0;
  const endMs = slots[slots.length - 1]?.endMs ?? 0;
  const ticks = useMemo(
    () =>
      axisTicks(startMs, endMs, Math.max(2, Math.floor(px / PX_PER_TICK)), { timeZone, locale }).filter(
        // A label starting too near the right edge would be cut off: leave it out.
        (tick) => tick.position * px <= px - PX_PER_TICK / 2,
      ),
    [startMs, endMs, px, timeZone, locale],
  );
  const max = Math.max(1, ...slots.map((b) => b.count));
  const selFrom = selected?.from ? Date.parse(selected.from) : Number.NEGATIVE_INFINITY;
  const selTo = selected?.to ? Date.parse(selected.to) : Number.POSITIVE_INFINITY;
  const inSelection = (s: HistogramSlot) => s.endMs > selFrom && s.startMs < selTo;
  const partial = selected !== undefined && slots.some((s) => !inSelection(s));
  const [focusIndex, setFocusIndex] = useState(-1);
  // The tab stop: the focused bar, else the latest bar with entries, else the last.
  const latest = slots.findLastIndex((s) => s.count > 0);
  const tabStop =
    focusIndex >= 0 && focusIndex < slots.length ? focusIndex : latest >= 0 ? latest : slots.length - 1;
  const bars = useRef<(HTMLButtonElement | null)[]>([]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const last = slots.length - 1;
    const next =
      event.key === 'ArrowRight' || event.key === 'ArrowDown'
        ? Math.min(last, tabStop + 1)
        : event.key === 'ArrowLeft' || event.key === 'ArrowUp'
          ? Math.max(0, tabStop - 1)
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? last
              : undefined;
    if (next === undefined) return;
    event.preventDefault();
    setFocusIndex(next);
    bars.current[next]?.focus();
  };

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
      data-selection={partial ? 'partial' : undefined}
    >
      <Tooltip.Provider delayDuration={0} skipDelayDuration={0} disableHoverableContent>
        <div
          ref={ref}
          role="toolbar"
          aria-label={strings.histogramLabel}
          className="activity-histogram-bars"
          onKeyDown={onKeyDown}
        >
          {slots.map((slot, i) => {
            const range = bucketRangeLabel(slot.startMs, slot.endMs, { timeZone, locale });
            const total = (slot.count / max) * 100;
            const failed = slot.count ? (Math.min(slot.failures, slot.count) / slot.count) * total : 0;
            return (
              <Tooltip.Root key={slot.startMs}>
                <Tooltip.Trigger asChild>
                  <button
                    ref={(el) => {
                      bars.current[i] = el;
                    }}
                    type="button"
                    tabIndex={i === tabStop ? 0 : -1}
                    className="activity-histogram-bar"
                    aria-label={strings.histogramBar(range, slot.count, slot.failures)}
                    data-failures={slot.failures > 0 ? '' : undefined}
                    data-empty={slot.count === 0 ? '' : undefined}
                    data-selected={partial && inSelection(slot) ? '' : undefined}
                    onFocus={() => setFocusIndex(i)}
                    onClick={() => onSelectBucket?.(slot, width)}
                  >
                    <span className="activity-histogram-fill" style={{ height: `${total}%` }}>
                      {failed > 0 && (
                        <span
                          className="activity-histogram-fill-failed"
                          style={{ height: `${(failed / total) * 100}%` }}
                        />
                      )}
                    </span>
                  </button>
                </Tooltip.Trigger>
                <Tooltip.Portal>
                  <Tooltip.Content
                    className="activity-theme activity-tooltip"
                    data-theme={theme}
                    side="top"
                    sideOffset={6}
                  >
                    <div className="activity-tooltip-title">{range}</div>
                    <div>{strings.histogramEntries(slot.count)}</div>
                    {slot.failures > 0 && (
                      <div className="activity-tooltip-failures">
                        {strings.histogramFailures(slot.failures)}
                      </div>
                    )}
                    {onSelectBucket && slot.count > 0 && (
                      <div className="activity-tooltip-hint">{strings.histogramNarrowHint}</div>
                    )}
                  </Tooltip.Content>
                </Tooltip.Portal>
              </Tooltip.Root>
            );
          })}
        </div>
      </Tooltip.Provider>
      <div className="activity-histogram-axis" aria-hidden="true">
        {ticks.map((tick) => (
          <span key={tick.ms} className="activity-histogram-tick" style={{ left: `${tick.position * 100}%` }}>
            {tick.label}
          </span>
        ))}
      </div>
    </div>
  );
}
