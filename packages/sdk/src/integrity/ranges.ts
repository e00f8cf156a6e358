/** The id ranges [firstId, lastId] already sealed, merged, for "is this id inside a sealed range?". */
import { compareIds } from './canonical.js';

/** A growing set of closed id intervals, kept merged and sorted. */
export class IdRanges {
  private ranges: [string, string][] = [];

  /** Adds [first, last]. */
  add(first: string, last: string): void {
    const merged: [string, string][] = [];
    let lo = first;
    let hi = last;
    for (const [a, b] of this.ranges) {
      if (compareIds(b, lo) < 0 || compareIds(a, hi) > 0) merged.push([a, b]);
      else {
        if (compareIds(a, lo) < 0) lo = a;
        if (compareIds(b, hi) > 0) hi = b;
      }
    }
    merged.push([lo, hi]);
    this.ranges = merged.sort((x, y) => compareIds(x[0], y[0]));
  }

  /** True when `id` lies inside one of the ranges. */
  has(id: string): boolean {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [a, b] = this.ranges[mid] as [string, string];
      if (compareIds(id, a) < 0) hi = mid - 1;
      else if (compareIds(id, b) > 0) lo = mid + 1;
      else return true;
    }
    return false;
  }
}
