/** Inclusion proofs: the Merkle audit path of one sealed entry, with its digest. */
import { compareIds } from './canonical.js';
import { inclusionPath } from './merkle.js';
import type { InclusionProof, IntegrityStore } from './types.js';

/**
 * The proof that entry `id` of `orgId` is in its digest: its stored form, leaf index, audit path and the
 * signed digest. Undefined when the entry is not sealed yet (or not this org's). The path is built from
 * the digest's seal rows; a check recomputes the leaf from the entry, so a changed entry fails it.
 */
export async function proofFor(
  store: IntegrityStore,
  orgId: string,
  id: string,
): Promise<InclusionProof | undefined> {
  const seal = await store.sealOf(orgId, id);
  if (!seal) return undefined;
  const [digest] = await store.listDigests(orgId, { from: seal.sequence, to: seal.sequence });
  const [row] = await store.rowsByIds([id]);
  if (!digest || !row?.entry || row.rowOrgId !== orgId) return undefined;
  const seals = (await store.sealsOf(orgId, seal.sequence)).sort((a, b) => compareIds(a.id, b.id));
  const leafIndex = seals.findIndex((s) => s.id === id);
  if (leafIndex < 0) return undefined;
  const path = inclusionPath(
    seals.map((s) => Buffer.from(s.leaf, 'hex')),
    leafIndex,
  ).map((h) => h.toString('hex'));
  return { entry: row.entry, leafIndex, treeSize: seals.length, path, digest };
}
