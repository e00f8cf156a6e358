/** An archive sink over a local folder: each object written to a temporary file, synced, then renamed. */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { ActivityError } from '../errors.js';
import { type ArchiveSink, checkKey, PARTIAL_FILE } from './archiveSink.js';

/** A file being written by the folder sink. */
export interface FolderSinkFile {
  /** Writes all of `data`. */
  write(data: Uint8Array): Promise<void>;
  /** Flushes the file to disk (fsync). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The file-system steps of the folder sink; replaceable so tests can fail or tear any one of them. */
export interface FolderSinkFs {
  /** Creates a folder and its parents. */
  mkdir(path: string): Promise<void>;
  /** Creates a new file (failing when it exists). */
  create(path: string): Promise<FolderSinkFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Flushes a folder's entries (the rename) to disk. */
  syncDir(path: string): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  /** Paths of the files under `dir`, recursively, relative to it, with `/` separators. */
  listFiles(dir: string): Promise<string[]>;
}

/** The folder sink's steps on Node's file system. */
export const nodeFolderSinkFs: FolderSinkFs = {
  async mkdir(path) {
    await mkdir(path, { recursive: true });
  },
  async create(path) {
    const handle = await open(path, 'wx');
    return {
      write: (data) => handle.writeFile(data),
      sync: () => handle.sync(),
      close: () => handle.close(),
    };
  },
  rename,
  unlink,
  async syncDir(path) {
    // Folders cannot be opened for sync everywhere (Windows); the rename is then as durable as the OS makes it.
    const handle = await open(path, 'r').catch(() => undefined);
    if (!handle) return;
    try {
      await handle.sync();
    } catch {
      // EINVAL/EPERM on file systems without directory fsync.
    } finally {
      await handle.close();
    }
  },
  async readFile(path) {
    return new Uint8Array(await readFile(path));
  },
  async listFiles(dir) {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((d) => d.isFile())
      .map((d) =>
        relative(dir, resolve(d.parentPath ?? d.path, d.name))
          .split(sep)
          .join('/'),
      );
  },
};

/** Options of {@link createFolderArchiveSink}. */
export interface FolderArchiveSinkOptions {
  /** The file-system steps, for fault-injection tests. @default nodeFolderSinkFs */
  fs?: FolderSinkFs | undefined;
}

const MISSING = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG']);
const isMissing = (error: unknown) => MISSING.has((error as NodeJS.ErrnoException)?.code ?? '');

/**
 * An {@link ArchiveSink} over a local folder. Keys map to files under `dir`; a key with `..`, a
 * leading slash, a backslash or a control character is refused. A write goes to a temporary file that
 * is synced and renamed into place, so a key holds either nothing or all of its bytes.
 * @example const sink = createFolderArchiveSink('/var/lib/activity/archive');
 */
export function createFolderArchiveSink(dir: string, options: FolderArchiveSinkOptions = {}): ArchiveSink {
  if (typeof dir !== 'string' || dir === '') {
    throw new ActivityError('CONFIG', 'dir: the archive folder is required', { field: 'dir' });
  }
  const fs = options.fs ?? nodeFolderSinkFs;
  const root = resolve(dir);
  const pathOf = (key: string) => {
    const path = resolve(root, ...checkKey(key));
    // Belt and braces: the checked segments cannot climb, but a resolved path outside root is refused anyway.
    if (!path.startsWith(root + sep))
      throw new ActivityError('CONFIG', `key: "${key}" escapes the archive folder`, { field: 'key' });
    return path;
  };

  return {
    async write(key, data) {
      const path = pathOf(key);
      await fs.mkdir(dirname(path));
      const partial = `${path}.${randomBytes(8).toString('hex')}.partial`;
      try {
        const file = await fs.create(partial);
        try {
          await file.write(data);
          await file.sync();
        } finally {
          await file.close();
        }
        await fs.rename(partial, path);
      } catch (error) {
        await fs.unlink(partial).catch(() => undefined);
        throw error;
      }
      await fs.syncDir(dirname(path));
    },

    async read(key) {
      try {
        return await fs.readFile(pathOf(key));
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },

    async list(prefix) {
      if (typeof prefix !== 'string') return [];
      // Walk only the folder the prefix names, not the whole archive.
      const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      let folder = root;
      if (base !== '') {
        try {
          folder = pathOf(base);
        } catch {
          return [];
        }
      }
      let files: string[];
      try {
        files = await fs.listFiles(folder);
      } catch (error) {
        if (isMissing(error)) return [];
        throw error;
      }
      return files
        .map((f) => (base === '' ? f : `${base}/${f}`))
        .filter((k) => k.startsWith(prefix) && !PARTIAL_FILE.test(k))
        .sort();
    },
  };
}
