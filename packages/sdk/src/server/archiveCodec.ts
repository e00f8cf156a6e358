/**
 * The archive format: gzip-compressed NDJSON, one entry per line. Decoding is strict
 * ({@link decodeArchive}) or salvaging ({@link readArchive}: every intact gzip member is read, and what
 * is not is described rather than thrown).
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ActivityEntry } from '../types.js';

/** Encodes entries as one gzip member of NDJSON. */
export function encodeArchive(entries: readonly ActivityEntry[]): Uint8Array {
  return gzipSync(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
}

/** Decodes an archive object (any number of concatenated gzip members); throws on any damage. */
export function decodeArchive(data: Uint8Array): ActivityEntry[] {
  const text = gunzipSync(data).toString('utf8');
  const out: ActivityEntry[] = [];
  for (const line of text.split('\n')) if (line !== '') out.push(JSON.parse(line) as ActivityEntry);
  return out;
}

/** SHA-256 (hex) of bytes. */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** What {@link readArchive} recovered from one object. */
export interface ArchiveContents {
  /** Entries of every intact gzip member, in file order. */
  entries: ActivityEntry[];
  /** One line per damaged part (a torn member, a byte range that is not gzip, lines that are not entries). */
  problems: string[];
}

/** Bounds the salvage work on a damaged object: end candidates tried per member start, and in all. */
const MAX_END_TRIES = 16;
const MAX_TRIES = 4096;

function inflate(data: Uint8Array): string | undefined {
  try {
    return gunzipSync(data).toString('utf8');
  } catch {
    return undefined;
  }
}

/** Offsets where a gzip member may start (magic 1f 8b, method 08). */
function memberStarts(data: Uint8Array): number[] {
  const starts: number[] = [];
  for (let i = data.indexOf(0x1f); i !== -1 && i + 2 < data.length; i = data.indexOf(0x1f, i + 1)) {
    if (data[i + 1] === 0x8b && data[i + 2] === 0x08) starts.push(i);
  }
  return starts;
}

function unreadable(from: number, to: number, total: number): string {
  return `bytes ${from}–${to} of ${total} are not a complete gzip member (a torn or corrupt write); skipped`;
}

/**
 * Inflates every intact member. A torn member makes `gunzip` fail the whole object, so on failure the
 * object is cut at each candidate member start and each piece that inflates on its own (gzip's CRC-32
 * and length trailer check it) is kept.
 */
function inflateMembers(data: Uint8Array, problems: string[]): string[] {
  const whole = inflate(data);
  if (whole !== undefined) return [whole];
  const starts = memberStarts(data);
  const bounds = [...starts, data.length];
  const texts: string[] = [];
  let tries = 0;
  /** The first intact piece at or after `pos`: a candidate start and the nearest end it inflates to. */
  const nextPiece = (pos: number) => {
    for (const start of starts) {
      if (start < pos) continue;
      for (const end of bounds.filter((b) => b > start).slice(0, MAX_END_TRIES)) {
        if (++tries > MAX_TRIES) return undefined;
        const text = inflate(data.subarray(start, end));
        if (text !== undefined) return { start, end, text };
      }
    }
    return undefined;
  };
  let pos = 0;
  while (pos < data.length) {
    const piece = nextPiece(pos);
    if (!piece) {
      problems.push(unreadable(pos, data.length, data.length));
      break;
    }
    if (piece.start > pos) problems.push(unreadable(pos, piece.start, data.length));
    texts.push(piece.text);
    pos = piece.end;
  }
  return texts;
}

function isEntry(value: unknown): value is ActivityEntry {
  const e = value as ActivityEntry | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.id === 'string' &&
    typeof e.orgId === 'string' &&
    typeof e.occurredAt === 'string'
  );
}

/** Reads every intact part of an archive object and describes the rest; never throws. */
export function readArchive(data: Uint8Array): ArchiveContents {
  const problems: string[] = [];
  if (data.length === 0) return { entries: [], problems: ['empty object (a write that never completed)'] };
  const entries: ActivityEntry[] = [];
  let bad = 0;
  for (const text of inflateMembers(data, problems)) {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        value = undefined;
      }
      if (isEntry(value)) entries.push(value);
      else bad++;
    }
  }
  if (bad > 0) problems.push(`${bad} line(s) are not archived entries; skipped`);
  return { entries, problems };
}
