import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DiskBuffer, type DiskRef, openDiskBuffer } from './diskBuffer.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'activity-buffer-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const json = (i: number, pad = 0) => JSON.stringify({ id: `e${i}`, text: `é${'x'.repeat(pad)}` });
const bytes = (text: string) => Buffer.byteLength(text);

function replayAll(buffer: DiskBuffer) {
  const records: { json: string; ref: DiskRef }[] = [];
  const corrupt: number[] = [];
  buffer.replay(
    (text, ref) => records.push({ json: text, ref }),
    (segment) => corrupt.push(segment),
  );
  return { records, corrupt };
}

const segments = () =>
  readdirSync(dir)
    .filter((name) => name.startsWith('segment-'))
    .sort();

describe('DiskBuffer', () => {
  it('appends records and reads each back by its reference', () => {
    const buffer = openDiskBuffer({ path: dir });
    const refs = [0, 1, 2].map((i) => buffer.append(json(i), bytes(json(i))));
    expect(refs.map((r) => buffer.read(r))).toEqual([json(0), json(1), json(2)]);
    expect(buffer.backlog).toBe(refs.reduce((sum, r) => sum + 8 + r.length, 0));
    buffer.close();
  });

  it('replays, after a restart, every record not acknowledged, and none that was', () => {
    const first = openDiskBuffer({ path: dir });
    const refs = Array.from({ length: 5 }, (_, i) => first.append(json(i), bytes(json(i))));
    first.ack(refs[1] as DiskRef);
    first.flush();
    // A crash: no close(), the lock's process is this one (so it is taken over).
    const second = openDiskBuffer({ path: dir });
    expect(replayAll(second).records.map((r) => r.json)).toEqual([json(2), json(3), json(4)]);
    second.close();
  });

  it('detects a torn last record by its length and checksum, skips it and counts it', () => {
    const first = openDiskBuffer({ path: dir });
    for (let i = 0; i < 3; i++) first.append(json(i, 100), bytes(json(i, 100)));
    const file = join(dir, segments()[0] as string);
    // Torn mid-payload: the header says more than the file holds.
    truncateSync(file, readFileSync(file).length - 40);
    const second = openDiskBuffer({ path: dir });
    const { records, corrupt } = replayAll(second);
    expect(records.map((r) => r.json)).toEqual([json(0, 100), json(1, 100)]);
    expect(corrupt).toHaveLength(1);
    second.close();
  });

  it('detects a record whose bytes changed (checksum) and a torn header', () => {
    const first = openDiskBuffer({ path: dir });
    first.append(json(0), bytes(json(0)));
    first.append(json(1), bytes(json(1)));
    const file = join(dir, segments()[0] as string);
    const data = readFileSync(file);
    data[data.length - 3] = (data[data.length - 3] as number) ^ 0xff;
    writeFileSync(file, data);
    appendFileSync(file, Buffer.from([1, 2, 3]));
    const second = openDiskBuffer({ path: dir });
    const { records, corrupt } = replayAll(second);
    expect(records.map((r) => r.json)).toEqual([json(0)]);
    expect(corrupt).toHaveLength(1);
    second.close();
  });

  it('never appends after a torn tail: a restarted buffer writes a new segment', () => {
    const first = openDiskBuffer({ path: dir });
    first.append(json(0), bytes(json(0)));
    appendFileSync(join(dir, segments()[0] as string), Buffer.from([9, 9]));
    const second = openDiskBuffer({ path: dir });
    const ref = second.append(json(1), bytes(json(1)));
    expect(ref.segment).toBe(2);
    second.close();
    const third = openDiskBuffer({ path: dir });
    const { records, corrupt } = replayAll(third);
    expect(records.map((r) => r.json)).toEqual([json(0), json(1)]);
    expect(corrupt).toEqual([1]);
    third.close();
  });

  it('rotates segments at segmentBytes and deletes those wholly acknowledged', () => {
    const buffer = openDiskBuffer({ path: dir, segmentBytes: 300 });
    const refs = Array.from({ length: 12 }, (_, i) => buffer.append(json(i, 60), bytes(json(i, 60))));
    const files = segments();
    expect(files.length).toBeGreaterThanOrEqual(4);
    const secondSegment = refs.find((r) => r.segment === 2) as DiskRef;
    const lastOfSecond = [...refs].reverse().find((r) => r.segment === 2) as DiskRef;
    expect(secondSegment).toBeDefined();
    buffer.ack(lastOfSecond);
    buffer.flush();
    expect(segments()).toEqual(files.slice(2));
    expect(refs.slice(refs.indexOf(lastOfSecond) + 1).map((r) => buffer.read(r))).toHaveLength(
      12 - refs.indexOf(lastOfSecond) - 1,
    );
    buffer.close();
    const again = openDiskBuffer({ path: dir, segmentBytes: 300 });
    expect(replayAll(again).records).toHaveLength(12 - refs.indexOf(lastOfSecond) - 1);
    again.close();
  });

  it('freeze(): a shutdown that gives up leaves what is unsettled for the next recorder', () => {
    const first = openDiskBuffer({ path: dir });
    const refs = [0, 1].map((i) => first.append(json(i), bytes(json(i))));
    first.freeze();
    first.ack(refs[1] as DiskRef);
    first.close();
    const second = openDiskBuffer({ path: dir });
    expect(replayAll(second).records).toHaveLength(2);
    second.close();
  });

  it('refuses a folder another live process holds', () => {
    writeFileSync(join(dir, 'lock'), String(process.ppid));
    expect(() => openDiskBuffer({ path: dir })).toThrow(/in use by process/);
  });
});
