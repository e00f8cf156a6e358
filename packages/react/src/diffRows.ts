import type { FieldChange } from '@activity/sdk/client';

/** One line of the diff table. */
export interface DiffRow {
  /** Dotted path (`address.city`, `tags.2`). */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  /** Present on the side that has a value. */
  before?: unknown;
  after?: unknown;
  hasBefore: boolean;
  hasAfter: boolean;
  /** Value hidden by redaction: show "changed, hidden". */
  redacted: boolean;
  /** Nesting depth below the recorded change (0 for the change itself). */
  depth: number;
}

const MAX_ROWS = 500;

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null && !(value instanceof Date);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function keysOf(value: Record<string, unknown> | unknown[]): string[] {
  return Array.isArray(value) ? value.map((_, i) => String(i)) : Object.keys(value);
}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (!isContainer(a) || !isContainer(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = keysOf(a);
  const kb = keysOf(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  const ra = a as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && same(ra[k], rb[k]));
}

function expand(
  path: string,
  before: unknown,
  after: unknown,
  hasBefore: boolean,
  hasAfter: boolean,
  depth: number,
  out: DiffRow[],
): void {
  if (out.length >= MAX_ROWS) return;
  const bothContainers =
    hasBefore &&
    hasAfter &&
    isContainer(before) &&
    isContainer(after) &&
    Array.isArray(before) === Array.isArray(after);
  const oneSided = hasBefore !== hasAfter && isContainer(hasBefore ? before : after);
  if (bothContainers) {
    const b = before as Record<string, unknown>;
    const a = after as Record<string, unknown>;
    const keys = [
      ...new Set([
        ...keysOf(before as object as Record<string, unknown>),
        ...keysOf(after as object as Record<string, unknown>),
      ]),
    ];
    for (const key of keys) {
      const inB = Object.hasOwn(b, key);
      const inA = Object.hasOwn(a, key);
      if (inB && inA && same(b[key], a[key])) continue;
      expand(join(path, key), b[key], a[key], inB, inA, depth + 1, out);
    }
    return;
  }
  if (oneSided) {
    const value = (hasBefore ? before : after) as Record<string, unknown>;
    const keys = keysOf(value);
    if (keys.length === 0) {
      out.push(row(path, before, after, hasBefore, hasAfter, depth));
      return;
    }
    for (const key of keys) {
      expand(
        join(path, key),
        hasBefore ? value[key] : undefined,
        hasAfter ? value[key] : undefined,
        hasBefore,
        hasAfter,
        depth + 1,
        out,
      );
    }
    return;
  }
  out.push(row(path, before, after, hasBefore, hasAfter, depth));
}

function row(
  path: string,
  before: unknown,
  after: unknown,
  hasBefore: boolean,
  hasAfter: boolean,
  depth: number,
): DiffRow {
  const kind = hasBefore && hasAfter ? 'changed' : hasAfter ? 'added' : 'removed';
  const r: DiffRow = { path, kind, hasBefore, hasAfter, redacted: false, depth };
  if (hasBefore) r.before = before;
  if (hasAfter) r.after = after;
  return r;
}

/**
 * Flattens recorded field changes into table rows: nested objects and arrays are expanded down to the
 * leaves that differ, each marked added, removed or changed; redacted changes keep no values.
 * Capped at 500 rows so one huge change cannot freeze the drawer.
 */
export function diffRows(changes: readonly FieldChange[] | undefined): DiffRow[] {
  const out: DiffRow[] = [];
  for (const change of changes ?? []) {
    if (out.length >= MAX_ROWS) break;
    if (change.redacted) {
      out.push({
        path: change.path,
        kind: change.kind,
        hasBefore: false,
        hasAfter: false,
        redacted: true,
        depth: 0,
      });
      continue;
    }
    const hasBefore = change.kind !== 'added' && 'before' in change;
    const hasAfter = change.kind !== 'removed' && 'after' in change;
    const start = out.length;
    expand(change.path, change.before, change.after, hasBefore, hasAfter, 0, out);
    if (out.length === start) {
      // Containers equal on both sides: the change was recorded anyway, so show it as a plain row.
      out.push(row(change.path, change.before, change.after, hasBefore, hasAfter, 0));
    }
  }
  return out;
}
