/**
 * Writes one org's old entries to the archive and proves they can be read back before anything is
 * purged: every object is read back through the sink and compared (SHA-256 of the bytes, entry count,
 * ids in order), and the org's prefix must list every object written.
 */
import { ActivityError } from '../errors.js';
import type { ActivityEntry, ActivityStore } from '../types.js';
import { encodeArchive, readArchive, sha256Hex } from './archiveCodec.js';
import { archiveKey, archivePrefix, monthOf, monthOfKey } from './archiveLayout.js';
import type { ArchiveSink } from './archiveSink.js';
import { pagesOf } from './export.js';

/** Entries per archive object; a larger month becomes several objects of the same run. */
export const ARCHIVE_CHUNK = 10_000;

/** What {@link archiveOrgEntries} needs. */
export interface ArchiveOrgInput {
  store: ActivityStore;
  sink: ArchiveSink;
  orgId: string;
  /** Entries that occurred before it are archived. */
  cutoff: string;
  /** This run's id; part of every key written, so no run touches another's objects. */
  runId: string;
  /** Receives the running count of entries written and verified, also when a later step fails. */
  onVerified: (archived: number) => void;
}

function verifyFailed(key: string, why: string): ActivityError {
  return new ActivityError(
    'STORE_FAILED',
    `archive ${key}: ${why}; nothing purged, the next run archives again`,
  );
}

/** Reads an object back through the sink and checks it holds exactly what was written. */
async function verifyObject(
  sink: ArchiveSink,
  key: string,
  data: Uint8Array,
  sha256: string,
  entries: readonly ActivityEntry[],
): Promise<void> {
  const back = await sink.read(key);
  if (!back) throw verifyFailed(key, 'missing when read back');
  if (back.length !== data.length || sha256Hex(back) !== sha256) {
    throw verifyFailed(
      key,
      `the ${back.length} bytes read back differ from the ${data.length} written (SHA-256)`,
    );
  }
  const read = readArchive(back);
  if (
    read.problems.length > 0 ||
    read.entries.length !== entries.length ||
    read.entries.some((e, i) => e.id !== entries[i]?.id)
  ) {
    throw verifyFailed(key, `${read.entries.length} entries read back of the ${entries.length} written`);
  }
}

/** An object this run wrote and verified. */
interface Written {
  key: string;
  month: string;
  sha256: string;
}

/**
 * Checks the reader will find every object written: it finds objects by listing the org prefix, so each
 * must be listed under its key, or (a sink that stores under keys of its own) as an identical object
 * of the same month.
 */
async function verifyListed(sink: ArchiveSink, orgId: string, written: readonly Written[]): Promise<void> {
  if (written.length === 0) return;
  const prefix = archivePrefix(orgId);
  const listed = await sink.list(prefix);
  const exact = new Set(listed);
  const hashes = new Map<string, string | undefined>();
  for (const w of written) {
    if (exact.has(w.key)) continue;
    let found = false;
    for (const key of listed) {
      if (monthOfKey(key.slice(prefix.length)) !== w.month) continue;
      if (!hashes.has(key)) {
        const data = await sink.read(key);
        hashes.set(key, data && sha256Hex(data));
      }
      if (hashes.get(key) === w.sha256) {
        found = true;
        break;
      }
    }
    if (!found) throw verifyFailed(w.key, 'not listed under the org prefix, so the reader could not find it');
  }
}

/**
 * Archives every entry of the org older than the cutoff, month by month, one object per month and
 * chunk under this run's id. Returns the number of entries written and verified.
 */
export async function archiveOrgEntries(input: ArchiveOrgInput): Promise<number> {
  const { store, sink, orgId, cutoff, runId, onVerified } = input;
  const written: Written[] = [];
  let archived = 0;
  let month: string | undefined;
  let buffer: ActivityEntry[] = [];
  const flush = async () => {
    if (month === undefined || buffer.length === 0) return;
    const key = archiveKey(orgId, month, `${runId}-${String(written.length + 1).padStart(4, '0')}`);
    const data = encodeArchive(buffer);
    const sha256 = sha256Hex(data);
    await sink.write(key, data);
    await verifyObject(sink, key, data, sha256, buffer);
    written.push({ key, month, sha256 });
    archived += buffer.length;
    onVerified(archived);
    buffer = [];
  };
  // Newest first, so each month arrives as one contiguous run of entries.
  for await (const page of pagesOf(store, { orgId, to: cutoff })) {
    for (const entry of page) {
      const m = monthOf(entry);
      if (m !== month || buffer.length >= ARCHIVE_CHUNK) {
        await flush();
        month = m;
      }
      buffer.push(entry);
    }
  }
  await flush();
  await verifyListed(sink, orgId, written);
  return archived;
}
