/**
 * The folder of async exports: one gzipped CSV and one JSON manifest per export, written so a reader never
 * sees half a manifest, read back only when the manifest names a file this module generates, and swept
 * of expired exports (on demand, and at most once a minute in the background).
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open as openFile, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ActivityError } from '../errors.js';
import type { ResolvedFilter } from '../filters.js';
import type { ActivityStatus } from '../types.js';

/** On-disk record of an async export, next to its file. */
export interface Manifest {
  exportId: string;
  jobId: string;
  orgId: string;
  userId: string;
  status: ActivityStatus;
  filter: ResolvedFilter;
  /** Random file name, unrelated to the export id. */
  file: string;
  createdAt: string;
  total?: number | undefined;
  rows?: number | undefined;
  bytes?: number | undefined;
  url?: string | undefined;
  expiresAt?: string | undefined;
  error?: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The only file names the exporter generates; a manifest naming anything else is not trusted. */
const EXPORT_FILE = /^[0-9a-f]{32}\.csv\.gz$/;
const MANIFEST_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/;
/** Least time between two automatic sweeps. */
const SWEEP_INTERVAL_MS = 60_000;

/** Wraps a Node readable in a pull-based web stream (read only as fast as the consumer reads). */
function toWebStream(source: AsyncIterable<Buffer>): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else
          controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 1 },
  );
}

/** Where the exports folder is, and whether it is the default one (whose owner and mode are checked). */
export interface ExportDir {
  dir: string;
  defaultDir: boolean;
  /** This process's uid, where the runtime has one. */
  uid: number | undefined;
}

/** Resolves the configured folder, or the per-user default under the OS temp folder. */
export function exportDir(configured: string | undefined): ExportDir {
  // `globalThis.process`: the handler also runs in browsers (mocked APIs), where there is no process.
  const getuid = (globalThis as { process?: { getuid?: () => number } }).process?.getuid;
  const uid = typeof getuid === 'function' ? getuid() : undefined;
  const defaultDir = configured === undefined;
  const dir = resolve(
    configured ?? join(tmpdir(), uid === undefined ? 'activity-exports' : `activity-exports-${uid}`),
  );
  return { dir, defaultDir, uid };
}

/** What {@link createExportFolder} needs. */
export interface ExportFolderOptions {
  location: ExportDir;
  linkTtlMs: number;
  now: () => Date;
  /** Exports being written by this process, by id: never swept. */
  running: ReadonlyMap<string, number>;
}

/** The exports folder's operations. */
export interface ExportFolder {
  /** Absolute path of the folder. */
  readonly dir: string;
  /** Creates the folder once; refuses a default folder someone else owns or can read. */
  ensure(): Promise<void>;
  /** The manifest of an export, or undefined when missing, unreadable or naming a file it may not. */
  read(exportId: string): Promise<Manifest | undefined>;
  /** Writes a manifest (then renames it into place). */
  write(manifest: Manifest): Promise<void>;
  /** The decompressed CSV of a finished export, or undefined when its file cannot be opened. */
  openCsv(manifest: Manifest): Promise<ReadableStream<Uint8Array> | undefined>;
  /** Deletes expired exports; one sweep at a time, concurrent callers share it. */
  sweep(): Promise<number>;
  /** The automatic sweep: at most once a minute (or per link lifetime), in the background, never failing. */
  autoSweep(): void;
}

/** The exports folder's operations; the folder itself is created on first use. */
export function createExportFolder(opts: ExportFolderOptions): ExportFolder {
  const { linkTtlMs, now, running } = opts;
  const { dir, defaultDir, uid } = opts.location;

  // Paths come only from validated UUIDs and random hex names, so nothing from a request reaches the file system.
  const manifestPath = (exportId: string) => join(dir, `${exportId}.json`);

  let dirReady: Promise<void> | undefined;
  function ensure(): Promise<void> {
    dirReady ??= (async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const info = await lstat(dir);
      if (!info.isDirectory()) {
        throw new ActivityError('CONFIG', `exports.dir: ${dir} is not a directory`, { field: 'dir' });
      }
      if (defaultDir && uid !== undefined && (info.uid !== uid || (info.mode & 0o077) !== 0)) {
        throw new ActivityError(
          'CONFIG',
          `exports.dir: refusing the default ${dir}: it is not owned by this process (uid ${uid}) with mode 0700; pass exports.dir`,
          { field: 'dir' },
        );
      }
    })();
    // A failed check is retried next time (the host may fix the folder without restarting).
    dirReady.catch(() => {
      dirReady = undefined;
    });
    return dirReady;
  }

  async function read(exportId: string): Promise<Manifest | undefined> {
    if (typeof exportId !== 'string' || !UUID.test(exportId)) return undefined;
    let m: Manifest;
    try {
      m = JSON.parse(await readFile(manifestPath(exportId), 'utf8')) as Manifest;
    } catch {
      return undefined;
    }
    // The manifest names the file read and deleted: anything but a name this module generates (a path,
    // `..`, another export's id) is refused, whoever wrote the manifest.
    if (
      typeof m !== 'object' ||
      m === null ||
      m.exportId !== exportId ||
      typeof m.orgId !== 'string' ||
      typeof m.file !== 'string' ||
      !EXPORT_FILE.test(m.file)
    ) {
      return undefined;
    }
    return m;
  }

  /** Deletes an export's file, a leftover `.part`, and its manifest. */
  async function remove(m: Manifest): Promise<void> {
    await rm(join(dir, m.file), { force: true });
    await rm(join(dir, `${m.file}.part`), { force: true });
    await rm(manifestPath(m.exportId), { force: true });
  }

  let sweeping: Promise<number> | undefined;
  let lastSweep = Number.NEGATIVE_INFINITY;
  async function sweepNow(): Promise<number> {
    await ensure();
    const nowMs = now().getTime();
    lastSweep = nowMs;
    let removed = 0;
    for (const name of await readdir(dir)) {
      const exportId = MANIFEST_FILE.exec(name)?.[1];
      if (!exportId || running.has(exportId)) continue;
      const m = await read(exportId);
      if (!m) continue;
      const expired =
        m.status === 'SUCCESS' || m.status === 'WARNING'
          ? m.expiresAt === undefined || Date.parse(m.expiresAt) <= nowMs
          : // Failed, or left IN_PROGRESS by a process that stopped: nothing to download, kept a while for status().
            Date.parse(m.createdAt) + linkTtlMs <= nowMs;
      if (!expired) continue;
      await remove(m);
      removed++;
    }
    return removed;
  }
  function sweep(): Promise<number> {
    sweeping ??= sweepNow().finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  }

  return {
    dir,
    ensure,
    read,
    async write(manifest) {
      // Write then rename, so a reader never sees half a manifest.
      const tmp = `${manifestPath(manifest.exportId)}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(tmp, JSON.stringify(manifest), { mode: 0o600 });
      await rename(tmp, manifestPath(manifest.exportId));
    },
    async openCsv(m) {
      let handle: Awaited<ReturnType<typeof openFile>>;
      try {
        handle = await openFile(join(dir, m.file), 'r');
      } catch {
        return undefined;
      }
      const gunzip = createGunzip();
      // Errors on either side destroy the gunzip stream, which the web stream then reports.
      pipeline(handle.createReadStream(), gunzip).catch(() => undefined);
      return toWebStream(gunzip);
    },
    sweep,
    autoSweep() {
      // Never more often than links expire, so short-lived links do not wait a full minute for clean-up.
      if (now().getTime() - lastSweep < Math.min(SWEEP_INTERVAL_MS, linkTtlMs)) return;
      sweep().catch(() => undefined);
    },
  };
}
