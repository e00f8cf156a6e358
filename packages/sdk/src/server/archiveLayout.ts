/**
 * Where archived entries live in a sink: `<org segment>/<yyyy-mm>/<run file>.ndjson.gz`, one object per
 * retention run and chunk, so a torn write can only ever damage the object being written.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ActivityEntry } from '../types.js';

/** Characters kept, up to {@link READABLE_MAX}, in the readable part of an org's key segment. */
const UNREADABLE = /[^A-Za-z0-9_-]/g;
const READABLE_MAX = 32;

/**
 * The key segment of an org: a short readable part, `.`, then the SHA-256 (hex) of the full id. Bounded
 * (at most 97 characters) and a safe path segment whatever the id holds (`/`, `..`, unicode, any length).
 * The original id stays in every archived entry; the reader keeps only entries whose `orgId` matches.
 */
export function orgKeySegment(orgId: string): string {
  const readable = orgId.slice(0, READABLE_MAX).replace(UNREADABLE, '_');
  return `${readable}.${createHash('sha256').update(orgId, 'utf8').digest('hex')}`;
}

/**
 * The org segment of the first layout (`<segment>/<yyyy-mm>.ndjson.gz`, one appended file per month):
 * URI-encoded, dots too. It never holds a `.`, so it never equals an {@link orgKeySegment}. Undefined when
 * the id cannot be encoded (a lone surrogate); such an org could not have been archived in that layout.
 */
export function legacyOrgKeySegment(orgId: string): string | undefined {
  try {
    return encodeURIComponent(orgId).replace(/\./g, '%2E');
  } catch {
    return undefined;
  }
}

/** The prefix under which every archive object of an org lives (`<org segment>/`). */
export function archivePrefix(orgId: string): string {
  return `${orgKeySegment(orgId)}/`;
}

/** The key of one archive object: `<org segment>/<yyyy-mm>/<name>.ndjson.gz`. */
export function archiveKey(orgId: string, month: string, name: string): string {
  return `${archivePrefix(orgId)}${month}/${name}.ndjson.gz`;
}

/** A fresh, sortable id for one retention run: `20260615T030000Z-9f86d081`. */
export function newArchiveRunId(at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

const MONTH = /^([+-]\d{6}|\d{4})-(\d{2})/;

/** The UTC month (`yyyy-mm`; `±yyyyyy-mm` outside years 0–9999) an entry belongs to. */
export function monthOf(entry: ActivityEntry): string {
  const iso = new Date(Date.parse(entry.occurredAt)).toISOString();
  return (MONTH.exec(iso) as RegExpExecArray)[0];
}

/**
 * The month a key (relative to the org prefix) holds: `2024-01.ndjson.gz` (first layout),
 * `2024-01/<anything>` (this layout, or a sink that adds its own suffix). Undefined for other keys.
 */
export function monthOfKey(relativeKey: string): string | undefined {
  const match = MONTH.exec(relativeKey);
  if (!match) return undefined;
  const next = relativeKey.charAt(match[0].length);
  return next === '/' || next === '.' ? match[0] : undefined;
}

/**
 * The UTC instants `[start, end)` of a month. Built with `setUTCFullYear`, because `Date.UTC` maps
 * years 0–99 to 1900–1999.
 */
export function monthRange(month: string): [number, number] | undefined {
  const match = MONTH.exec(month);
  if (!match) return undefined;
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  if (index < 0 || index > 11) return undefined;
  const start = new Date(0);
  start.setUTCFullYear(year, index, 1);
  const end = new Date(0);
  end.setUTCFullYear(year, index + 1, 1);
  return [start.getTime(), end.getTime()];
}
