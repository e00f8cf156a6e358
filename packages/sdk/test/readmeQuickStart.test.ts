/**
 * The README's quick start runs as written: its first code block is written to a temporary module (only
 * the SQLite path changes, to a temporary folder that does not exist yet) and imported, against the
 * sources. Then the entries it recorded are read back from the file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/sqlite/store.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'readme-quick-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function quickStart(): string {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('## Quick start'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no ts block under "## Quick start"');
  return block;
}

describe('README quick start', () => {
  it('runs as written and stores the user action with its diff and the finished job', async () => {
    const source = quickStart();
    expect(source).toContain("path: './data/activity.db'");
    const db = join(dir, 'data', 'activity.db');
    const module = join(dir, 'quickStart.ts');
    writeFileSync(module, source.replace("'./data/activity.db'", JSON.stringify(db)));
    await import(/* @vite-ignore */ module);

    const store = createSqliteStore({ path: db, readonly: true });
    try {
      const { entries } = await store.query({ orgId: 'org_1', limit: 10 });
      const byAction = new Map(entries.map((e) => [e.action, e]));
      expect(byAction.get('contact.updated')).toMatchObject({
        type: 'USER_ACTION',
        actor: { id: 'u_riley' },
        changes: [expect.objectContaining({ path: 'tags.1', kind: 'added', after: 'VIP' })],
      });
      expect(byAction.get('SYNC_SQUARE_STOCK')).toMatchObject({ type: 'BACKGROUND_JOB', status: 'SUCCESS' });
    } finally {
      await store.close();
    }
  });
});
