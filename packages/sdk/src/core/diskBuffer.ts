/**
 * The opt-in disk buffer: accepted entries are appended to local segment files before `record()`
 * returns, and the writer drains them to the store. Each record is `u32 length · u32 CRC-32 · JSON`
 * (little-endian), so a record torn by a crash mid-write is detected and skipped. A cursor file holds
 * the position of the first record not yet settled; segments wholly before it are deleted.
 *
 * Durability: one `write(2)` per record and no fsync, so what `record()` accepted survives the process
 * (a crash, kill -9) but not the machine (power loss, kernel panic), unless `fsync: 'always'`.
 * Node only (it reaches `node:fs` through `process.getBuiltinModule`, so the core entry imports nothing).
 */
import { ActivityError } from '../errors.js';

/** Options of the disk buffer (`createActivity({ buffer })`). */
export interface BufferOptions {
  /** Folder of the buffer (created, mode 0700). One recorder per folder. */
  path: string;
  /** Most bytes the backlog may hold on disk; past it the overflow policy applies. @default 256 MiB */
  maxBytes?: number | undefined;
  /** Size at which a segment file is closed and a new one started. @default 8 MiB */
  segmentBytes?: number | undefined;
  /** `'always'`: fsync after every record (survives power loss, costs a disk flush per call). @default 'never' */
  fsync?: 'never' | 'always' | undefined;
}

/** Where a record sits: its segment, the offset of its header, and its payload's length. */
export interface DiskRef {
  segment: number;
  offset: number;
  length: number;
}

type Fs = typeof import('node:fs');
type Zlib = typeof import('node:zlib');

const HEADER = 8;
const MIB = 1024 * 1024;
const SEGMENT = /^segment-(\d{12})\.log$/;

function builtin<T>(name: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(name) as T | undefined;
}

let crcTable: Int32Array | undefined;
/** CRC-32 (IEEE), table-driven: node:zlib's crc32 where it exists (Node 20.15+), this otherwise. */
function crc32Fallback(data: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < data.length; i++)
    crc = (crcTable[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** The buffer of one recorder. Create it with {@link openDiskBuffer}. */
export class DiskBuffer {
  readonly maxBytes: number;
  readonly #fs: Fs;
  readonly #crc: (data: Uint8Array) => number;
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #fsync: boolean;
  /** Segment being appended to, its descriptor and size. */
  #segment: number;
  #fd: number;
  #size = 0;
  /** Sizes of every segment still on disk (the one being written included). */
  readonly #sizes = new Map<number, number>();
  readonly #readers = new Map<number, number>();
  /** First record not settled yet. */
  #cursor: { segment: number; offset: number };
  #cursorDirty = false;
  #cursorTimer: ReturnType<typeof setTimeout> | undefined;
  #frozen = false;
  #scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(options: BufferOptions, fs: Fs, zlib: Zlib | undefined) {
    this.#fs = fs;
    this.#crc = typeof zlib?.crc32 === 'function' ? (data) => zlib.crc32(data) : crc32Fallback;
    this.#dir = options.path;
    this.maxBytes = options.maxBytes ?? 256 * MIB;
    this.#segmentBytes = options.segmentBytes ?? 8 * MIB;
    this.#fsync = options.fsync === 'always';
    fs.mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    this.#lock();
    for (const name of fs.readdirSync(this.#dir)) {
      const match = SEGMENT.exec(name);
      if (match !== null) this.#sizes.set(Number(match[1]), fs.statSync(this.#file(Number(match[1]))).size);
    }
    const first = Math.min(...this.#sizes.keys(), Number.POSITIVE_INFINITY);
    this.#cursor = this.#readCursor() ?? { segment: Number.isFinite(first) ? first : 1, offset: 0 };
    // Appends always start a new segment: a torn tail in the last one is never written after.
    this.#segment = Math.max(0, ...this.#sizes.keys()) + 1;
    this.#fd = this.#openSegment(this.#segment);
  }

  /** Bytes on disk from the cursor to the end: the backlog not yet settled. */
  get backlog(): number {
    let total = 0;
    for (const [segment, size] of this.#sizes) {
      if (segment > this.#cursor.segment) total += size;
      else if (segment === this.#cursor.segment) total += Math.max(0, size - this.#cursor.offset);
    }
    return total;
  }

  /**
   * Calls `record` with each intact record from the cursor on, in order, and `corrupt` once per torn
   * or damaged record (the rest of its segment is skipped: its length cannot be trusted).
   */
  replay(record: (json: string, ref: DiskRef) => void, corrupt: (segment: number) => void): void {
    for (const segment of [...this.#sizes.keys()].sort((a, b) => a - b)) {
      if (segment < this.#cursor.segment || segment === this.#segment) continue;
      const data = this.#fs.readFileSync(this.#file(segment));
      let offset = segment === this.#cursor.segment ? this.#cursor.offset : 0;
      while (offset < data.length) {
        const length = offset + HEADER <= data.length ? data.readUInt32LE(offset) : -1;
        const end = offset + HEADER + length;
        if (
          length < 0 ||
          end > data.length ||
          this.#crc(data.subarray(offset + HEADER, end)) !== data.readUInt32LE(offset + 4)
        ) {
          corrupt(segment);
          // What follows cannot be read: the segment ends here for the backlog and its deletion.
          this.#sizes.set(segment, offset);
          break;
        }
        record(data.toString('utf8', offset + HEADER, end), { segment, offset, length });
        offset = end;
      }
    }
  }

  /** Appends one record (`bytes`: UTF-8 length of `json`) with one write; throws on an I/O error. */
  append(json: string, bytes: number): DiskRef {
    if (this.#size > 0 && this.#size + HEADER + bytes > this.#segmentBytes) this.#rotate();
    const total = HEADER + bytes;
    if (this.#scratch.length < total)
      this.#scratch = Buffer.allocUnsafe(Math.max(total, this.#scratch.length * 2));
    const buffer = this.#scratch;
    buffer.write(json, HEADER, bytes, 'utf8');
    buffer.writeUInt32LE(bytes, 0);
    buffer.writeUInt32LE(this.#crc(buffer.subarray(HEADER, total)), 4);
    let written = 0;
    while (written < total) written += this.#fs.writeSync(this.#fd, buffer, written, total - written);
    if (this.#fsync) this.#fs.fsyncSync(this.#fd);
    const ref = { segment: this.#segment, offset: this.#size, length: bytes };
    this.#size += total;
    this.#sizes.set(this.#segment, this.#size);
    return ref;
  }

  /** The JSON of a record. */
  read(ref: DiskRef): string {
    let fd = this.#readers.get(ref.segment);
    if (fd === undefined) {
      fd = this.#fs.openSync(this.#file(ref.segment), 'r');
      this.#readers.set(ref.segment, fd);
    }
    const out = Buffer.allocUnsafe(ref.length);
    this.#fs.readSync(fd, out, 0, ref.length, ref.offset + HEADER);
    return out.toString('utf8');
  }

  /** The record is settled (stored, or counted as lost): the cursor moves past it. */
  ack(ref: DiskRef): void {
    if (this.#frozen) return;
    const next = { segment: ref.segment, offset: ref.offset + HEADER + ref.length };
    if (
      next.segment < this.#cursor.segment ||
      (next.segment === this.#cursor.segment && next.offset <= this.#cursor.offset)
    )
      return;
    this.#cursor = next;
    this.#cursorDirty = true;
    if (this.#cursorTimer !== undefined) return;
    this.#cursorTimer = setTimeout(() => this.flush(), 50);
    this.#cursorTimer.unref?.();
  }

  /** Stops moving the cursor: what is not settled yet stays for the next recorder on this folder. */
  freeze(): void {
    this.#frozen = true;
  }

  /** Writes the cursor (atomically) and deletes the segments wholly before it. */
  flush(): void {
    if (this.#cursorTimer !== undefined) clearTimeout(this.#cursorTimer);
    this.#cursorTimer = undefined;
    if (!this.#cursorDirty) return;
    this.#cursorDirty = false;
    const fs = this.#fs;
    const path = `${this.#dir}/cursor.json`;
    fs.writeFileSync(`${path}.tmp`, JSON.stringify(this.#cursor), { mode: 0o600 });
    fs.renameSync(`${path}.tmp`, path);
    for (const segment of [...this.#sizes.keys()]) {
      const done =
        segment < this.#cursor.segment ||
        (segment === this.#cursor.segment &&
          this.#cursor.offset >= (this.#sizes.get(segment) ?? 0) &&
          segment !== this.#segment);
      if (!done) continue;
      const reader = this.#readers.get(segment);
      if (reader !== undefined) fs.closeSync(reader);
      this.#readers.delete(segment);
      this.#sizes.delete(segment);
      fs.rmSync(this.#file(segment), { force: true });
    }
  }

  /** Writes the cursor, closes the files and releases the folder (emptied when nothing is left). */
  close(): void {
    const fs = this.#fs;
    this.flush();
    for (const fd of this.#readers.values()) fs.closeSync(fd);
    this.#readers.clear();
    fs.closeSync(this.#fd);
    if (this.backlog === 0) {
      for (const segment of this.#sizes.keys()) fs.rmSync(this.#file(segment), { force: true });
      this.#sizes.clear();
      fs.rmSync(`${this.#dir}/cursor.json`, { force: true });
    }
    fs.rmSync(`${this.#dir}/lock`, { force: true });
  }

  #file(segment: number): string {
    return `${this.#dir}/segment-${String(segment).padStart(12, '0')}.log`;
  }

  #openSegment(segment: number): number {
    const fd = this.#fs.openSync(this.#file(segment), 'a', 0o600);
    this.#size = 0;
    this.#sizes.set(segment, 0);
    return fd;
  }

  #rotate(): void {
    this.#fs.closeSync(this.#fd);
    this.#segment += 1;
    this.#fd = this.#openSegment(this.#segment);
  }

  #readCursor(): { segment: number; offset: number } | undefined {
    try {
      const value = JSON.parse(this.#fs.readFileSync(`${this.#dir}/cursor.json`, 'utf8')) as {
        segment?: unknown;
        offset?: unknown;
      };
      if (Number.isInteger(value.segment) && Number.isInteger(value.offset))
        return value as { segment: number; offset: number };
    } catch {
      // No cursor yet (or a damaged one): replay from the first segment; the stores skip known ids.
    }
    return undefined;
  }

  /** One recorder per folder: a lock file naming the live process that holds it. */
  #lock(): void {
    const path = `${this.#dir}/lock`;
    try {
      const holder = Number(this.#fs.readFileSync(path, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new ActivityError(
          'CONFIG',
          `createActivity: buffer.path ${this.#dir} is in use by process ${holder}: give each recorder its own folder`,
          { field: 'buffer.path' },
        );
      }
    } catch (error) {
      if (error instanceof ActivityError) throw error;
    }
    this.#fs.writeFileSync(path, String(process.pid), { mode: 0o600 });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** Opens (or creates) the buffer in `options.path`. Throws `ActivityError('CONFIG')` where it cannot. */
export function openDiskBuffer(options: BufferOptions): DiskBuffer {
  const fs = builtin<Fs>('node:fs');
  if (fs === undefined || typeof Buffer !== 'function') {
    throw new ActivityError(
      'CONFIG',
      'createActivity: buffer needs Node.js 20.16+ (node:fs); remove the buffer option on this runtime',
      { field: 'buffer' },
    );
  }
  try {
    return new DiskBuffer(options, fs, builtin<Zlib>('node:zlib'));
  } catch (error) {
    if (error instanceof ActivityError) throw error;
    throw new ActivityError(
      'CONFIG',
      `createActivity: buffer.path ${options.path} cannot be used: ${(error as Error).message}`,
      { field: 'buffer.path', cause: error },
    );
  }
}
