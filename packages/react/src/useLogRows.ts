import type { JobProgress } from '@activity/sdk/client';

/** Keys the table's grid handles, and where each moves the active row. Returns undefined for other keys. */
export function moveIndex(key: string, index: number, count: number, page = 10): number | undefined {
  if (count === 0) return undefined;
  const clamp = (i: number) => Math.max(0, Math.min(count - 1, i));
  switch (key) {
    case 'ArrowDown':
    case 'j':
      return index < 0 ? 0 : clamp(index + 1);
    case 'ArrowUp':
    case 'k':
      return index < 0 ? 0 : clamp(index - 1);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    case 'PageDown':
      return clamp(Math.max(index, 0) + page);
    case 'PageUp':
      return clamp(index - page);
    default:
      return undefined;
  }
}

/** True when the rendered window reaches within `threshold` rows of the end and another page exists. */
export function shouldLoadMore(
  lastRenderedIndex: number | undefined,
  loaded: number,
  hasMore: boolean,
  busy: boolean,
  threshold = 10,
): boolean {
  if (!hasMore || busy || lastRenderedIndex === undefined) return false;
  return lastRenderedIndex >= loaded - 1 - threshold;
}

/** Percent done of a job, or undefined when the total is unknown. */
export function progressPercent(progress: JobProgress | undefined): number | undefined {
  if (!progress || progress.total === undefined || progress.total <= 0) return undefined;
  return Math.max(0, Math.min(100, Math.round((progress.processed / progress.total) * 100)));
}
