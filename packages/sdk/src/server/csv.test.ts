import { describe, expect, it } from 'vitest';
import type { ActivityEntry } from '../types.js';
import { CSV_COLUMNS, entriesToCsv, entryToRow, neutralizeCell } from './csv.js';

/** A strict RFC 4180 reader (csv-parse is not installed): quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        cell += c;
        i++;
      }
    } else if (c === '"' && cell === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 2;
    } else if (c === '"' || c === '\n' || c === '\r') {
      throw new Error(`not RFC 4180: bare ${JSON.stringify(c)} at ${i}`);
    } else {
      cell += c;
      i++;
    }
  }
  if (quoted) throw new Error('not RFC 4180: unterminated quote');
  if (cell !== '' || row.length) throw new Error('not RFC 4180: last record lacks CRLF');
  return rows;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

function entry(over: Partial<ActivityEntry> = {}): ActivityEntry {
  return {
    id: '0190a000-0000-7000-8000-000000000001',
    orgId: 'org_a',
    occurredAt: '2026-03-01T10:00:00.000Z',
    recordedAt: '2026-03-01T10:00:00.000Z',
    schemaVersion: 1,
    type: 'USER_ACTION',
    status: 'SUCCESS',
    actor: { kind: 'user', id: 'usr_riley', name: 'Riley Park' },
    action: 'contact.updated',
    entity: { type: 'contact', id: 'c_1', label: 'Alex Chen' },
    summary: 'Tagged VIP',
    changes: [
      { path: 'tags.0', kind: 'added', after: 'VIP' },
      { path: 'ssn', kind: 'changed', redacted: true },
    ],
    ...over,
  };
}

const TRIGGERS = ['=', '+', '-', '@', '\t', '\r', '\u0000', '＝', '＋', '－', '＠'];

describe('neutralizeCell', () => {
  it.each(TRIGGERS)('prefixes a quote to a cell starting with %j', (trigger) => {
    expect(neutralizeCell(`${trigger}1+1`)).toBe(`'${trigger}1+1`);
  });

  it('leaves other cells alone, including triggers after the first character', () => {
    for (const v of ['', 'Alex', '1=1', ' =1', "'=1", 'Zoë 🍷', 'a-b']) expect(neutralizeCell(v)).toBe(v);
  });
});

describe('entryToRow', () => {
  it('maps an entry to the documented columns', () => {
    const row = entryToRow(entry({ error: { name: 'Error', message: 'card declined' } }));
    expect(row).toHaveLength(CSV_COLUMNS.length);
    expect(Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, row[i]]))).toEqual({
      time: '2026-03-01T10:00:00.000Z',
      type: 'USER_ACTION',
      status: 'SUCCESS',
      actor: 'Riley Park',
      'actor id': 'usr_riley',
      action: 'contact.updated',
      'entity type': 'contact',
      'entity id': 'c_1',
      'entity label': 'Alex Chen',
      summary: 'Tagged VIP',
      'entry id': '0190a000-0000-7000-8000-000000000001',
      'changed fields': 'tags.0; ssn (hidden)',
      'error message': 'card declined',
    });
  });

  it('falls back to the actor id and normalises the time to UTC', () => {
    const row = entryToRow(
      entry({ actor: { kind: 'system', id: 'system' }, occurredAt: '2026-03-01T12:00:00+02:00' }),
    );
    expect(row[0]).toBe('2026-03-01T10:00:00.000Z');
    expect(row[3]).toBe('system');
  });
});

describe('entriesToCsv', () => {
  it('writes a BOM, a header and CRLF records that an RFC 4180 reader parses back', async () => {
    const bytes = await readAll(entriesToCsv([[entry()]]));
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes.slice(3));
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows[1]).toEqual(entryToRow(entry()));
  });

  it('omits the BOM when asked', async () => {
    const bytes = await readAll(entriesToCsv([[entry()]], { bom: false }));
    expect(new TextDecoder().decode(bytes).startsWith('"time"')).toBe(true);
  });

  it('quotes commas, quotes and newlines and round-trips unicode and emoji', async () => {
    const tricky = entry({
      summary: 'a, "quoted" b\nsecond line\r\nthird',
      entity: { type: 'contact', id: 'c,2', label: 'Zoë Müller 🍷 日本語 \u{1F1EB}\u{1F1F7}' },
      actor: { kind: 'user', id: 'usr_x', name: 'O\'Brien, "Dan"' },
    });
    // TextDecoder drops the BOM, as Excel does.
    const rows = parseCsv(new TextDecoder().decode(await readAll(entriesToCsv([[tricky]]))));
    expect(rows).toHaveLength(2);
    expect(rows[1]).toEqual(entryToRow(tricky));
    expect(rows[1]?.[8]).toBe('Zoë Müller 🍷 日本語 \u{1F1EB}\u{1F1F7}');
  });

  it.each(TRIGGERS)('neutralises %j at the start of every text column', async (t) => {
    const evil = entry({
      actor: { kind: 'user', id: `${t}id`, name: `${t}name` },
      action: `${t}cmd|' /C calc'!A0`,
      entity: { type: `${t}type`, id: `${t}eid`, label: `${t}HYPERLINK("http://evil")` },
      summary: `${t}summary`,
      changes: [{ path: `${t}path`, kind: 'changed' }],
      error: { name: 'Error', message: `${t}boom` },
    });
    const rows = parseCsv(new TextDecoder().decode(await readAll(entriesToCsv([[evil]]))));
    const cells = rows[1] ?? [];
    const raw = entryToRow(evil);
    let neutralised = 0;
    for (const [i, cell] of cells.entries()) {
      expect(cell).toBe(neutralizeCell(raw[i] ?? ''));
      if (cell.startsWith(`'${t}`)) neutralised++;
    }
    // actor, actor id, action, entity type/id/label, summary, changed fields, error message
    expect(neutralised).toBe(9);
  });

  it('writes only the header for no entries', async () => {
    const rows = parseCsv(new TextDecoder().decode(await readAll(entriesToCsv([]))));
    expect(rows).toEqual([[...CSV_COLUMNS]]);
  });

  it('pulls pages only as the reader asks (backpressure)', async () => {
    let pulled = 0;
    async function* pages() {
      for (let p = 0; p < 100; p++) {
        pulled++;
        yield [entry({ id: `id-${p}` })];
      }
    }
    let ended = -1;
    const stream = entriesToCsv(pages(), { onEnd: (n) => (ended = n) });
    const reader = stream.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 20));
    // One page read, at most one more buffered: never the whole source.
    expect(pulled).toBeLessThanOrEqual(2);
    let chunks = 1;
    while (!(await reader.read()).done) chunks++;
    expect(pulled).toBe(100);
    expect(chunks).toBe(100);
    expect(ended).toBe(100);
  });

  it('reports a cancelled stream through onAbort with the rows sent', async () => {
    let aborted: number | undefined;
    let ended = false;
    const stream = entriesToCsv(
      (function* () {
        for (let p = 0; p < 10; p++) yield [entry({ id: `id-${p}` }), entry({ id: `id2-${p}` })];
      })(),
      { onAbort: (n, _reason, cancelled) => (aborted = cancelled ? n : -1), onEnd: () => (ended = true) },
    );
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel();
    expect(ended).toBe(false);
    expect(aborted).toBeGreaterThanOrEqual(2);
    expect(aborted).toBeLessThan(20);
  });
});
