/**
 * Field-level diffs of any two objects (ORM models, bulk-update payloads, raw SQL rows), on microdiff.
 */
import microdiff, { type Difference } from 'microdiff';
import { ActivityError } from '../errors.js';
import type { FieldChange } from '../types.js';

/** Options of {@link diffObjects}. */
export interface DiffOptions {
  /**
   * Fields to skip: top-level keys (`updatedAt`) or dotted paths (`address.geo`, `items.*.syncedAt`,
   * `*` matching any one segment). Everything under a skipped path is skipped too.
   */
  ignore?: string[] | undefined;
  /**
   * Most changes reported. Past it, changes are rolled up to their parent paths (one change per
   * parent, whole values) level by level; if the top level alone still exceeds it, the list is cut.
   * @default 200
   */
  maxChanges?: number | undefined;
}

type Segment = string | number;

function isObjectLike(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null;
}

/** Own-property lookup, so inherited names (`toString`, `constructor`) never count as fields. */
function lookup(
  root: unknown,
  path: readonly Segment[],
  length = path.length,
): { found: boolean; value: unknown } {
  let current: unknown = root;
  for (let i = 0; i < length; i++) {
    if (!isObjectLike(current)) return { found: false, value: undefined };
    const key = String(path[i]);
    if (!Object.hasOwn(current, key)) return { found: false, value: undefined };
    current = (current as Record<string, unknown>)[key];
  }
  return { found: true, value: current };
}

function compileIgnore(ignore: readonly string[] | undefined): string[][] {
  return (ignore ?? []).filter((path) => path !== '').map((path) => path.split('.'));
}

function isIgnored(path: readonly Segment[], patterns: readonly string[][]): boolean {
  for (const pattern of patterns) {
    if (pattern.length > path.length) continue;
    let match = true;
    for (let i = 0; i < pattern.length; i++) {
      if (pattern[i] !== '*' && pattern[i] !== String(path[i])) {
        match = false;
        break;
      }
    }
    if (match) return true;
  }
  return false;
}

function toChange(path: readonly Segment[], before: unknown, after: unknown): FieldChange | undefined {
  const was = lookup(before, path);
  const is = lookup(after, path);
  const dotted = path.join('.');
  if (was.found && is.found) return { path: dotted, kind: 'changed', before: was.value, after: is.value };
  if (was.found) return { path: dotted, kind: 'removed', before: was.value };
  if (is.found) return { path: dotted, kind: 'added', after: is.value };
  return undefined;
}

const MAX_DEPTH = 500;

/**
 * Copies plain containers onto null prototypes: microdiff tests membership with `in`, which would see
 * inherited names (`toString`, `constructor`) as present. Dates and other rich values are kept as is;
 * shared and circular references map to one copy so microdiff's cycle detection still works.
 */
function prepare(value: unknown, copies: Map<object, unknown>, depth: number): unknown {
  if (!isObjectLike(value)) return value;
  if (
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof String ||
    value instanceof Number
  ) {
    return value;
  }
  const known = copies.get(value);
  if (known !== undefined) return known;
  if (depth > MAX_DEPTH) throw new RangeError(`nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    copies.set(value, copy);
    for (let i = 0; i < value.length; i++) copy.push(prepare(value[i], copies, depth + 1));
    return copy;
  }
  const copy: Record<string, unknown> = Object.create(null);
  copies.set(value, copy);
  for (const key of Object.keys(value)) copy[key] = prepare(value[key], copies, depth + 1);
  return copy;
}

/** Rolls paths up to at most `level` segments, keeping first-seen order, until few enough remain. */
function rollUp(paths: Segment[][], maxChanges: number): Segment[][] {
  let current = paths;
  let level = paths.reduce((max, path) => Math.max(max, path.length), 0) - 1;
  while (current.length > maxChanges && level >= 1) {
    const seen = new Set<string>();
    const next: Segment[][] = [];
    for (const path of current) {
      const cut = path.length > level ? path.slice(0, level) : path;
      const key = cut.join('\u0000');
      if (seen.has(key)) continue;
      seen.add(key);
      next.push(cut);
    }
    current = next;
    level--;
  }
  return current.slice(0, maxChanges);
}

/**
 * Field changes turning `before` into `after`, with dotted paths (`address.city`, `tags.2`).
 * Nested objects and arrays are compared member by member; Dates by value; a nested object that
 * appears or disappears as a whole is one change. `null`/`undefined` on either side count as `{}`,
 * so a creation lists every field as added. Order: microdiff's, i.e. `before`'s key order, then additions.
 * @example diffObjects({ status: 'LEAD', tags: ['a'] }, { status: 'VIP', tags: ['a', 'b'] })
 * // [{ path: 'status', kind: 'changed', before: 'LEAD', after: 'VIP' }, { path: 'tags.1', kind: 'added', after: 'b' }]
 */
export function diffObjects(before: unknown, after: unknown, options: DiffOptions = {}): FieldChange[] {
  const maxChanges = options.maxChanges ?? 200;
  if (!Number.isInteger(maxChanges) || maxChanges < 1) {
    throw new ActivityError('CONFIG', `maxChanges must be a positive integer, got ${String(maxChanges)}`, {
      field: 'maxChanges',
    });
  }
  const left = isObjectLike(before) ? before : {};
  const right = isObjectLike(after) ? after : {};
  let differences: Difference[];
  try {
    const copies = new Map<object, unknown>();
    const a = prepare(left, copies, 0) as Record<string, unknown>;
    const b = prepare(right, copies, 0) as Record<string, unknown>;
    differences = microdiff(a, b, { cyclesFix: true });
  } catch (error) {
    // microdiff recurses: absurdly deep input overflows the stack; hostile proxies may throw.
    throw new ActivityError(
      'INVALID_EVENT',
      'changes: before/after could not be compared (too deeply nested?)',
      {
        field: 'changes',
        cause: error,
      },
    );
  }
  const ignore = compileIgnore(options.ignore);
  let paths = differences.map((difference) => difference.path).filter((path) => !isIgnored(path, ignore));
  if (paths.length > maxChanges) paths = rollUp(paths, maxChanges);
  const changes: FieldChange[] = [];
  for (const path of paths) {
    const change = toChange(path, left, right);
    if (change !== undefined) changes.push(change);
  }
  return changes;
}

/**
 * One line naming the changed top-level fields, grouped by kind.
 * @example summarizeChanges(diffObjects(a, b)) // "tags, status changed; email added"
 */
export function summarizeChanges(changes: readonly FieldChange[]): string {
  if (changes.length === 0) return 'no changes';
  // A top-level field takes the kind of a change made at it, or "changed" when only its members changed.
  const kinds = new Map<string, FieldChange['kind']>();
  for (const change of changes) {
    const dot = change.path.indexOf('.');
    const field = dot === -1 ? change.path : change.path.slice(0, dot);
    const kind = dot === -1 ? change.kind : 'changed';
    const known = kinds.get(field);
    if (known === undefined) kinds.set(field, kind);
    else if (known !== kind) kinds.set(field, 'changed');
  }
  const parts: string[] = [];
  for (const kind of ['changed', 'added', 'removed'] as const) {
    const fields = [...kinds].filter(([, k]) => k === kind).map(([field]) => field);
    if (fields.length === 0) continue;
    const shown = fields.length > 4 ? [...fields.slice(0, 3), `${fields.length - 3} more`] : fields;
    parts.push(`${shown.join(', ')} ${kind}`);
  }
  return parts.join('; ');
}
