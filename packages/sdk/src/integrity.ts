/**
 * `@activity/sdk/integrity`: tamper evidence. Seal each org's entries into signed, chained Merkle
 * digests, verify a range, and prove one entry. See docs/integrity.md.
 */
export { canonicalJson, compareIds } from './integrity/canonical.js';
export { checkProof, type ProofCheck } from './integrity/check.js';
export {
  buildDigest,
  type DigestSigner,
  digestHash,
  entryLeaf,
  signatureValid,
  signedBytes,
} from './integrity/digest.js';
export {
  type DigestSink,
  type DigestSource,
  digestKey,
  digestPrefix,
  exportDigests,
  readExportedDigests,
} from './integrity/export.js';
export {
  generateSigningKey,
  type KeyInput,
  keyIdOf,
  loadPublicKeys,
  type PublicKeys,
  publicKeyInfo,
} from './integrity/keys.js';
export { createMemoryIntegrityStore, type MemoryIntegrityStore } from './integrity/memory.js';
export {
  emptyRoot,
  hashLeaf,
  hashNode,
  inclusionPath,
  merkleRoot,
  rootFromPath,
} from './integrity/merkle.js';
export { proofFor } from './integrity/proof.js';
export {
  createSealer,
  type SealableStore,
  type Sealer,
  type SealerOptions,
  type SealReport,
} from './integrity/sealer.js';
export * from './integrity/types.js';
export { DEFAULT_LATE_WINDOW_MS, type VerifyOptions, verifyIntegrity } from './integrity/verify.js';
export type { HandlerIntegrityOptions, IntegrityVerifyLimits } from './server/integrity.js';
