/**
 * Digests exported to a sink the database admin cannot rewrite (a folder on another host, object
 * storage with object lock): what makes dropping the newest digests from the store detectable. The
 * server's archive sinks (`createFolderArchiveSink`) fit {@link DigestSink} as they are.
 */
import { createHash } from 'node:crypto';
import { ActivityError } from '../errors.js';
import { canonicalJson } from './canonical.js';
import { parseDigest } from './digest.js';
import type { Digest, IntegrityStore } from './types.js';

/** Where digests are written: the write half of an archive sink. */
export interface DigestSink {
  /** Stores `data` at `key`; each key is written once. */
  write(key: string, data: Uint8Array): Promise<void>;
  /** Keys starting with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
}

/** Where an auditor reads exported digests back: the read half of an archive sink. */
export interface DigestSource {
  /** The bytes at `key`, or undefined when missing. */
  read(key: string): Promise<Uint8Array | undefined>;
  /** Keys starting with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
}

const SEQUENCE_DIGITS = 12;

/**
 * The folder of one org's digests: `digests/<readable part of the org id>.<SHA-256 of it>/`. The hash
 * keeps every org apart whatever its id holds (slashes, dots, lone surrogates, any length); the readable
 * part is for people browsing the sink.
 */
export function digestPrefix(orgId: string): string {
  const readable = orgId.slice(0, 48).replace(/[^A-Za-z0-9_-]/g, '_');
  return `digests/${readable}.${createHash('sha256').update(orgId, 'utf8').digest('hex')}/`;
}

/** The key of one digest: its sequence zero-padded, so keys sort in sequence order. */
export function digestKey(orgId: string, sequence: number): string {
  return `${digestPrefix(orgId)}${String(sequence).padStart(SEQUENCE_DIGITS, '0')}.json`;
}

function sequenceOf(key: string): number | undefined {
  const match = /\/(\d+)\.json$/.exec(key);
  return match ? Number(match[1]) : undefined;
}

/**
 * Writes the org's digests the sink does not hold yet (sequences after the last exported one), as their
 * RFC 8785 JSON, oldest first. Resolves with the digests written. A failed write stops there; the next
 * call starts again from the last digest the sink holds.
 * @example await exportDigests(store, createFolderArchiveSink('/mnt/audit'), 'org_1');
 */
export async function exportDigests(
  store: IntegrityStore,
  sink: DigestSink,
  orgId: string,
): Promise<Digest[]> {
  const held = (await sink.list(digestPrefix(orgId)))
    .map(sequenceOf)
    .filter((s): s is number => s !== undefined);
  const after = held.length > 0 ? Math.max(...held) : 0;
  const pending = await store.listDigests(orgId, { from: after + 1 });
  for (const digest of pending) {
    try {
      await sink.write(digestKey(orgId, digest.sequence), Buffer.from(canonicalJson(digest), 'utf8'));
    } catch (cause) {
      throw new ActivityError(
        'STORE_FAILED',
        `sink: could not export digest #${digest.sequence} of ${orgId}: ${String(cause)}`,
        { field: 'sink', cause },
      );
    }
  }
  return pending;
}

/**
 * Reads back every digest exported for `orgId`, in sequence order, to pass to `verifyIntegrity({ digests })`.
 * A file that is not a digest of this org at its key's sequence fails loudly: the export was tampered with.
 * @example const digests = await readExportedDigests(createFolderArchiveSink('/mnt/audit'), 'org_1');
 */
export async function readExportedDigests(source: DigestSource, orgId: string): Promise<Digest[]> {
  const out: Digest[] = [];
  for (const key of await source.list(digestPrefix(orgId))) {
    const sequence = sequenceOf(key);
    if (sequence === undefined) continue;
    const bytes = await source.read(key);
    const digest = bytes ? parseDigest(Buffer.from(bytes).toString('utf8')) : undefined;
    if (!digest || digest.orgId !== orgId || digest.sequence !== sequence) {
      throw new ActivityError('CONFIG', `digests: ${key} is not digest #${sequence} of ${orgId}`, {
        field: 'digests',
      });
    }
    out.push(digest);
  }
  return out.sort((a, b) => a.sequence - b.sequence);
}
