import { describe, expect, it } from 'vitest';
import { createMemoryIntegrityStore, createSealer, generateSigningKey } from '../src/integrity.js';
import { createMemoryStore } from '../src/testing/index.js';
import { cleanSuite, LONG, sealScenario, T0, verifyA } from './integrityHarness.js';

describe('integrity on the memory store', () => {
  cleanSuite(async () => createMemoryIntegrityStore(createMemoryStore()), LONG ? 30 : 10);

  it('detects an entry deleted behind its back, and one seal at a time per org', async () => {
    const base = createMemoryStore();
    const store = createMemoryIntegrityStore(base);
    const s = await sealScenario(store, 9);
    const [seal] = await store.sealsOf('org_a', 1);
    // The memory store's own retention path removes the entry; its seal row stays.
    const entry = await store.get('org_a', seal?.id ?? '');
    await base.deleteBefore(new Date(Date.parse(entry?.occurredAt ?? '') + 1).toISOString(), 'org_a');
    const result = await verifyA(s);
    expect(result.firstBreak).toMatchObject({ kind: 'deleted', digestSequence: 1 });

    const other = createMemoryIntegrityStore(createMemoryStore());
    await other.append((await base.query({ orgId: 'org_b', limit: 1000 })).entries);
    const key = generateSigningKey();
    const sealers = [0, 1, 2].map(() =>
      createSealer({ store: other, signingKey: key.privateKeyPem, maxEntriesPerDigest: 4, now: () => T0 }),
    );
    await Promise.all(sealers.map((x) => x.sealNow('org_b')));
    const digests = await other.listDigests('org_b');
    expect(digests.map((d) => d.sequence)).toEqual(digests.map((_, i) => i + 1));
  });
});
