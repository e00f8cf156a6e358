import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createSealer } from '../src/integrity.js';
import { createFolderArchiveSink } from '../src/server.js';
import { createSqliteStore } from '../src/sqlite.js';
import { sealScenario, VERIFY_AT } from './integrityHarness.js';

const docs = readFileSync(new URL('../../../docs/integrity.md', import.meta.url), 'utf8');
const snippet = /<!-- auditor-snippet -->\n```ts\n([\s\S]*?)```/.exec(docs)?.[1];
const dir = mkdtempSync(join(tmpdir(), 'activity-auditor-'));
// Inside the package so the test aliases resolve `@activity/sdk/*` as an installed package would.
const here = new URL('.', import.meta.url).pathname;
const files: string[] = [];
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const f of files) rmSync(f, { force: true });
});

async function runSnippet(n: number): Promise<string> {
  const file = join(here, `.auditor-snippet-${n}.tmp.ts`);
  files.push(file);
  writeFileSync(file, snippet ?? '');
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import(/* @vite-ignore */ file);
    return log.mock.calls.map((c) => c.join(' ')).join('\n');
  } finally {
    log.mockRestore();
  }
}

describe('docs/integrity.md: the auditor snippet', () => {
  it('verifies a sealed SQLite file with only the public key and the exported digests; names truncation and an edit', async () => {
    expect(snippet).toBeDefined();
    const path = join(dir, 'activity.db');
    const audit = join(dir, 'audit');
    const store = createSqliteStore({ path });
    const s = await sealScenario(store, 77);
    // The sealer of the docs, with a sink: it exports every digest made so far.
    const sealer = createSealer({
      store,
      signingKey: s.privateKeyPem,
      sink: createFolderArchiveSink(audit),
      now: () => VERIFY_AT,
    });
    expect((await sealer.sealNow()).exported).toBeGreaterThan(2);
    const digests = await store.listDigests('org_a');
    const [victim] = await store.sealsOf('org_a', 1);
    await store.close();
    writeFileSync(join(dir, 'key.pem'), String(Object.values(s.keys)[0]));
    vi.stubEnv('ACTIVITY_DB', path);
    vi.stubEnv('ACTIVITY_PUBLIC_KEY', join(dir, 'key.pem'));
    vi.stubEnv('ACTIVITY_DIGESTS', audit);
    vi.stubEnv('ACTIVITY_ORG', 'org_a');
    vi.useFakeTimers({ now: VERIFY_AT, toFake: ['Date'] });
    const admin = (sql: string, ...params: unknown[]) => {
      const db = createSqliteStore({ path });
      db.db.prepare(sql).run(...params);
      return db.close();
    };
    try {
      expect(await runSnippet(1)).toMatch(/^OK: \d+ entries in \d+ digests$/);
      // The newest digest dropped with its seal rows: only the exported digests tell.
      const newest = digests.length;
      await admin('DELETE FROM activity_digests WHERE org_id = ? AND sequence = ?', 'org_a', newest);
      await admin('DELETE FROM activity_seals WHERE org_id = ? AND sequence = ?', 'org_a', newest);
      expect(await runSnippet(2)).toBe(`BROKEN: truncated - digest #${newest}`);
      await admin(
        `UPDATE activity_entries SET data = json_set(data, '$.summary', 'Approved by the CFO') WHERE id = ?`,
        victim?.id,
      );
      expect(await runSnippet(3)).toBe(`BROKEN: modified ${victim?.id} digest #1`);
    } finally {
      vi.useRealTimers();
      vi.unstubAllEnvs();
    }
  });
});
