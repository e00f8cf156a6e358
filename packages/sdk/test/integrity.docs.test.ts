import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
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
  it('verifies a sealed SQLite file with only the public key and a kept digest, and names an edit', async () => {
    expect(snippet).toBeDefined();
    const path = join(dir, 'activity.db');
    const store = createSqliteStore({ path });
    const s = await sealScenario(store, 77);
    const digests = await store.listDigests('org_a');
    const kept = digests[digests.length - 1];
    const [victim] = await store.sealsOf('org_a', 1);
    await store.close();
    writeFileSync(join(dir, 'key.pem'), String(Object.values(s.keys)[0]));
    writeFileSync(join(dir, 'digest.json'), JSON.stringify(kept));
    vi.stubEnv('ACTIVITY_DB', path);
    vi.stubEnv('ACTIVITY_PUBLIC_KEY', join(dir, 'key.pem'));
    vi.stubEnv('ACTIVITY_DIGEST', join(dir, 'digest.json'));
    vi.useFakeTimers({ now: VERIFY_AT, toFake: ['Date'] });
    try {
      expect(await runSnippet(1)).toMatch(/^OK: \d+ entries in \d+ digests$/);
      const admin = createSqliteStore({ path });
      admin.db
        .prepare(
          `UPDATE activity_entries SET data = json_set(data, '$.summary', 'Approved by the CFO') WHERE id = ?`,
        )
        .run(victim?.id);
      await admin.close();
      expect(await runSnippet(2)).toBe(`BROKEN: modified ${victim?.id} digest #1`);
    } finally {
      vi.useRealTimers();
      vi.unstubAllEnvs();
    }
  });
});
