/**
 * Tamper evidence figures: sealing ÷ hashing the same entries' canonical bytes with node:crypto alone
 * (the least any scheme over those bytes must do), and verify throughput. SQLite store, one org.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { storedLeaf } from '../packages/sdk/src/integrity/leaf.js';
import {
  canonicalJson,
  createSealer,
  generateSigningKey,
  verifyIntegrity,
} from '../packages/sdk/src/integrity.js';
import { createSqliteStore } from '../packages/sdk/src/sqlite/index.js';
import { generateActivityBatches } from '../packages/sdk/src/testing/index.js';
import { type BenchOptions, type BenchResult, round, timeMs } from './lib.js';

const tmp = join(import.meta.dirname, '.tmp');
const NOW = new Date('2026-11-01T12:00:00Z');
const ORG = 'org_seal';

export async function run({ quick }: BenchOptions): Promise<BenchResult[]> {
  const count = quick ? 10_000 : 1_000_000;
  mkdirSync(tmp, { recursive: true });
  const path = join(tmp, 'integrity.db');
  rmSync(path, { force: true });
  // Where a sealer runs, the store keeps each final entry's leaf as it is written (docs/integrity.md).
  const store = createSqliteStore({ path, leafHashes: true });
  try {
    let leafMs = 0;
    for (const batch of generateActivityBatches({
      count,
      batchSize: 10_000,
      orgIds: [ORG],
      seed: 11,
      now: NOW,
      spanDays: 365,
    })) {
      const final = batch.map((e) => (e.status === 'IN_PROGRESS' ? { ...e, status: 'SUCCESS' as const } : e));
      // What the write pays for it, measured apart: RFC 8785 of the entry object and the leaf hash.
      const start = process.hrtime.bigint();
      for (const e of final) storedLeaf(e);
      leafMs += Number(process.hrtime.bigint() - start) / 1e6;
      await store.append(final);
    }
    // The reference: SHA-256 of every stored entry's RFC 8785 bytes, made beforehand, with node:crypto alone.
    const texts = store.db
      .prepare('SELECT data FROM activity_entries WHERE org_id = ?')
      .pluck()
      .all(ORG) as string[];
    const canonical = texts.map((t) => Buffer.from(canonicalJson(JSON.parse(t)), 'utf8'));
    const bytes = canonical.reduce((n, b) => n + b.length, 0);
    const hashMs = await timeMs(() => {
      for (const b of canonical) createHash('sha256').update(b).digest();
    });
    const canonMs = await timeMs(() => {
      for (const t of texts)
        createHash('sha256')
          .update(canonicalJson(JSON.parse(t)))
          .digest();
    });
    canonical.length = 0;

    const key = generateSigningKey();
    const sealer = createSealer({
      store,
      signingKey: key.privateKeyPem,
      maxEntriesPerDigest: 10_000,
      now: () => NOW,
    });
    let sealed = 0;
    const sealMs = await timeMs(async () => {
      sealed = (await sealer.sealNow(ORG)).entries;
    });
    if (sealed !== texts.length) throw new Error(`sealed ${sealed} of ${texts.length}`);

    let checked = 0;
    const verifyMs = await timeMs(async () => {
      const result = await verifyIntegrity({
        store,
        orgId: ORG,
        keys: { [key.keyId]: key.publicKeyPem },
        now: () => NOW,
      });
      if (!result.ok)
        throw new Error(`verify found a break in a clean store: ${JSON.stringify(result.firstBreak)}`);
      checked = result.checked.entries;
    });
    const mib = (bytes / 2 ** 20).toFixed(1);
    return [
      {
        name: 'seal-vs-sha256',
        value: round(hashMs / sealMs),
        unit: 'ratio',
        target: '>= 0.5',
        detail: `sealing ${sealed} entries ${round(sealMs / 1000, 2)} s (read each entry's leaf kept at write, node hashes, sign, write seal rows); SHA-256 of their ${mib} MiB of canonical bytes alone ${round(hashMs / 1000, 2)} s; parse + RFC 8785 + SHA-256 ${round(canonMs / 1000, 2)} s (ratio ${round(canonMs / sealMs)}); the leaf kept at write (leafHashes: RFC 8785 of the entry object + SHA-256) costs ${round((leafMs * 1000) / sealed, 2)} µs per entry on append (${round(leafMs / 1000, 2)} s in all; write + seal ÷ SHA-256 alone ${round(hashMs / (sealMs + leafMs))})`,
      },
      {
        name: 'verify-entries-per-s',
        value: Math.round(checked / (verifyMs / 1000)),
        unit: 'entries/s',
        target: 'report',
        detail: `${checked} entries in ${sealed / 10_000 > 1 ? Math.ceil(sealed / 10_000) : 1} digests verified in ${round(verifyMs / 1000, 2)} s`,
      },
    ];
  } finally {
    await store.close();
    rmSync(path, { force: true });
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
  }
}
