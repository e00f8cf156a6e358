import { createHash, generateKeyPairSync, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  checkProof,
  compareIds,
  createMemoryIntegrityStore,
  createSealer,
  digestHash,
  emptyRoot,
  generateSigningKey,
  hashLeaf,
  hashNode,
  inclusionPath,
  keyIdOf,
  merkleRoot,
  proofFor,
  publicKeyInfo,
  rootFromPath,
  verifyIntegrity,
} from '../src/integrity.js';
import { createMemoryStore, generateActivity } from '../src/testing.js';

/** RFC 6962 §2.1 MTH, written from the spec's recursive definition as the oracle. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leaves[0] as Buffer;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return hashNode(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** RFC 6962 §2.1.1 PATH(m, D[n]) from the recursive definition. */
function path(m: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return m < k
    ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))]
    : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

describe('integrity: RFC 8785 canonical JSON', () => {
  it('sorts keys by UTF-16 units, writes numbers in ES form and escapes minimally (RFC 8785 §3.2)', () => {
    expect(
      canonicalJson({ b: 1, a: [true, null, 'x'], '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '\ufb33': 4 }),
    ).toBe('{"\\r":2,"a":[true,null,"x"],"b":1,"\u20ac":1,"\ud83d\ude00":3,"\ufb33":4}');
    // RFC 8785 appendix B number samples.
    // Parsed from text, as stored entries are: digits past double precision round the same way everywhere.
    expect(
      canonicalJson(JSON.parse('[1e21, 1e-7, 333333333.33333329, 4.5, 0.002, -0, 9007199254740993]')),
    ).toBe('[1e+21,1e-7,333333333.3333333,4.5,0.002,0,9007199254740992]');
    expect(canonicalJson({ s: '\u0001\u001f"\\\u2028' })).toBe('{"s":"\\u0001\\u001f\\"\\\\\u2028"}');
  });

  it('orders ids by code point, the byte order of SQL stores, not by UTF-16 units', () => {
    const ids = ['b', 'a\ud83d\ude00', 'a\uffff', 'a', 'A', 'a\u00e9'];
    const byBytes = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...ids].sort(compareIds)).toEqual(byBytes);
    expect(compareIds('a\uffff', 'a\ud83d\ude00')).toBeLessThan(0);
  });
});

describe('integrity: RFC 6962 Merkle tree', () => {
  const leaves = Array.from({ length: 70 }, (_, i) => hashLeaf(`leaf ${i}`));

  it('computes the spec root for every size from 0 to 70', () => {
    expect(merkleRoot([]).equals(emptyRoot())).toBe(true);
    for (let n = 1; n <= leaves.length; n++) {
      expect(merkleRoot(leaves.slice(0, n)).toString('hex'), `n=${n}`).toBe(
        mth(leaves.slice(0, n)).toString('hex'),
      );
    }
  });

  it('builds the spec audit path, and the RFC 9162 check accepts only the right leaf, index and size', () => {
    for (let n = 1; n <= 33; n++) {
      const tree = leaves.slice(0, n);
      const root = merkleRoot(tree);
      for (let m = 0; m < n; m++) {
        const p = inclusionPath(tree, m);
        expect(p.map((h) => h.toString('hex'))).toEqual(path(m, tree).map((h) => h.toString('hex')));
        expect(Buffer.from(rootFromPath(tree[m] as Buffer, m, n, p) ?? []).equals(root)).toBe(true);
        const other = hashLeaf('forged');
        expect(Buffer.from(rootFromPath(other, m, n, p) ?? []).equals(root)).toBe(false);
        if (n > 1)
          expect(Buffer.from(rootFromPath(tree[m] as Buffer, (m + 1) % n, n, p) ?? []).equals(root)).toBe(
            false,
          );
      }
    }
  });

  it('leaf and node hashes are domain-separated (0x00 / 0x01 prefixes)', () => {
    const a = hashLeaf('a');
    const b = hashLeaf('b');
    expect(hashLeaf(Buffer.concat([a, b])).equals(hashNode(a, b))).toBe(false);
    expect(a.toString('hex')).toBe(
      createHash('sha256')
        .update(Buffer.from([0]))
        .update('a')
        .digest('hex'),
    );
  });
});

describe('integrity: seal, verify and prove on the memory store', () => {
  const now = new Date('2026-03-15T12:00:00Z');

  async function sealed(count = 300) {
    const key = generateSigningKey();
    const store = createMemoryIntegrityStore(createMemoryStore());
    await store.append(generateActivity({ count, orgIds: ['org_a', 'org_b'], seed: 7, now }));
    const sealer = createSealer({
      store,
      signingKey: key.privateKeyPem,
      maxEntriesPerDigest: 64,
      now: () => now,
    });
    const report = await sealer.sealNow();
    const keys = { [key.keyId]: key.publicKeyPem };
    return { key, store, sealer, report, keys };
  }

  it('seals every final entry once, in chained digests of at most maxEntriesPerDigest', async () => {
    const { store, report, key } = await sealed();
    const digests = await store.listDigests('org_a');
    expect(digests.length).toBeGreaterThan(1);
    expect(digests.every((d) => d.entryCount <= 64 && d.keyId === key.keyId)).toBe(true);
    expect(digests[0]?.previousDigestHash).toBeNull();
    expect(digests[1]?.previousDigestHash).toBe(digestHash(digests[0] as never));
    const inProgress = (await store.query({ orgId: 'org_a', limit: 1000, statuses: ['IN_PROGRESS'] }))
      .entries;
    const all = (await store.query({ orgId: 'org_a', limit: 1000 })).entries;
    const sealedA = digests.reduce((n, d) => n + d.entryCount, 0);
    expect(sealedA).toBe(all.length - inProgress.length);
    expect(report.entries).toBeGreaterThan(sealedA);
    // Nothing left: a second seal makes no digest.
    expect((await createSealer({ store, signingKey: key.privateKeyPem }).sealNow('org_a')).digests).toEqual(
      [],
    );
  });

  it('verifies clean, and proves one entry that Web Crypto checks (SHA-256 and Ed25519)', async () => {
    const { store, keys, key } = await sealed();
    const result = await verifyIntegrity({ store, orgId: 'org_a', keys, now: () => now });
    expect(result).toMatchObject({ ok: true });
    expect(result.checked.entries).toBeGreaterThan(100);
    const [first] = (await store.query({ orgId: 'org_a', limit: 1, statuses: ['SUCCESS'] })).entries;
    const proof = await proofFor(store, 'org_a', first?.id ?? '');
    expect(proof?.entry).toEqual(first);
    const info = [publicKeyInfo(key.keyId, key.publicKeyPem)];
    expect(globalThis.crypto?.subtle ?? webcrypto.subtle).toBeDefined();
    expect(await checkProof(proof as never, info)).toMatchObject({ ok: true });
    const changed = {
      ...(proof as never as { entry: object }),
      entry: { ...proof?.entry, summary: 'edited' },
    };
    expect(await checkProof(changed as never, info)).toMatchObject({ ok: false, reason: 'modified' });
    const otherKey = generateKeyPairSync('ed25519').publicKey;
    expect(await checkProof(proof as never, [publicKeyInfo(key.keyId, otherKey)])).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
    // Another org cannot obtain the proof.
    expect(await proofFor(store, 'org_b', first?.id ?? '')).toBeUndefined();
  });

  it('rotates keys: old digests verify with the retired key, new ones with the current', async () => {
    const { store, keys, key } = await sealed(50);
    const next = generateSigningKey();
    const later = new Date(now.getTime() + 86_400_000);
    await store.append(
      generateActivity({ count: 20, orgIds: ['org_a'], seed: 99, now: later, spanDays: 0.5 }),
    );
    await createSealer({ store, signingKey: next.privateKeyPem, now: () => later }).sealNow('org_a');
    const digests = await store.listDigests('org_a');
    expect(new Set(digests.map((d) => d.keyId))).toEqual(new Set([key.keyId, next.keyId]));
    expect(keyIdOf(next.publicKeyPem)).toBe(next.keyId);
    const both = { ...keys, [next.keyId]: next.publicKeyPem };
    expect(await verifyIntegrity({ store, orgId: 'org_a', keys: both, now: () => later })).toMatchObject({
      ok: true,
    });
    const onlyNew = await verifyIntegrity({
      store,
      orgId: 'org_a',
      keys: { [next.keyId]: next.publicKeyPem },
      now: () => now,
    });
    expect(onlyNew.firstBreak).toMatchObject({ kind: 'bad-signature', digestSequence: 1 });
  });
});
