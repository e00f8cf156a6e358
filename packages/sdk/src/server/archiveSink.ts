/** The archive sink: where retention writes archive objects and where the reader finds them. */
import { ActivityError } from '../errors.js';

/**
 * Where archives go: a folder ({@link createFolderArchiveSink}) or an object store. Retention writes each
 * key once (a fresh key per run and chunk), reads it back to verify it, and lists the org's prefix before
 * it purges anything; the reader lists the same prefix.
 */
export interface ArchiveSink {
  /**
   * Stores `data` as the object at `key`. Retention never writes a key twice, so "create", "put" and the
   * first layout's "append" all fit. Should be all-or-nothing where the backend allows (a temp name and a
   * rename, a single PUT); a torn write is caught by the read-back and nothing is purged.
   */
  write(key: string, data: Uint8Array): Promise<void>;
  /** The exact bytes stored at `key`, or undefined when missing. */
  read(key: string): Promise<Uint8Array | undefined>;
  /** Keys starting with `prefix`, sorted; every key written and not deleted must be listed. */
  list(prefix: string): Promise<string[]>;
}

const MAX_KEY = 1024;
/** The temporary name a folder sink writes before its rename; never a key. */
export const PARTIAL_FILE = /\.[0-9a-f]{16}\.partial$/;

/** Splits a key into path segments; throws `CONFIG` for one that could escape a sink's root. */
export function checkKey(key: string, field = 'key'): string[] {
  if (typeof key !== 'string' || key === '' || key.length > MAX_KEY) {
    throw new ActivityError(
      'CONFIG',
      `${field}: must be a non-empty string of at most ${MAX_KEY} characters`,
      { field },
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters never belong in a key
  if (/[\\\u0000-\u001f]/.test(key) || key.startsWith('/')) {
    throw new ActivityError(
      'CONFIG',
      `${field}: "${key.slice(0, 200)}" has a backslash, control character or leading slash`,
      { field },
    );
  }
  const segments = key.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new ActivityError('CONFIG', `${field}: "${key.slice(0, 200)}" has an empty, "." or ".." segment`, {
      field,
    });
  }
  if (PARTIAL_FILE.test(key)) {
    throw new ActivityError('CONFIG', `${field}: "${key.slice(0, 200)}" ends like a temporary file`, {
      field,
    });
  }
  return segments;
}
