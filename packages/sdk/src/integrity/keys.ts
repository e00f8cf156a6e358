/**
 * Ed25519 keys for digests (node:crypto): the host's signing key, key ids, and the public keys that
 * verify old and new digests after a rotation.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { ActivityError } from '../errors.js';
import type { PublicKeyInfo } from './types.js';

/** A key as a host may hold it: a KeyObject, PEM text, or (public keys) the JWK `GET /integrity/keys` serves. */
export type KeyInput = KeyObject | string | { kty: 'OKP'; crv: 'Ed25519'; x: string; d?: string };

/** The public keys that verify digests, by key id (keep retired keys: old digests name them). */
export type PublicKeys = Readonly<Record<string, KeyInput>>;

function fail(field: string, message: string, cause?: unknown): never {
  throw new ActivityError('CONFIG', `${field}: ${message}`, { field, cause });
}

function isJwk(key: unknown): key is { kty: string; crv: string; x: string; d?: string } {
  return typeof key === 'object' && key !== null && (key as { kty?: unknown }).kty === 'OKP';
}

/** The signing key as a private Ed25519 KeyObject, or a CONFIG error naming `field`. */
export function toPrivateKey(key: KeyInput, field = 'signingKey'): KeyObject {
  let out: KeyObject;
  try {
    if (typeof key === 'string') out = createPrivateKey(key);
    else if (isJwk(key)) out = createPrivateKey({ key, format: 'jwk' });
    else out = key;
  } catch (cause) {
    return fail(field, 'not a private key (PEM PKCS#8, JWK with d, or a KeyObject)', cause);
  }
  if (out.type !== 'private' || out.asymmetricKeyType !== 'ed25519') {
    return fail(field, 'must be an Ed25519 private key (generateSigningKey() makes one)');
  }
  return out;
}

/** A public Ed25519 KeyObject, from a public key in any accepted form or from the private key. */
export function toPublicKey(key: KeyInput, field = 'keys'): KeyObject {
  let out: KeyObject;
  try {
    if (typeof key === 'string') out = createPublicKey(key);
    else if (isJwk(key))
      out = createPublicKey({ key: { kty: key.kty, crv: key.crv, x: key.x }, format: 'jwk' });
    else out = key.type === 'private' ? createPublicKey(key) : key;
  } catch (cause) {
    return fail(field, 'not a public key (PEM SPKI, JWK, or a KeyObject)', cause);
  }
  if (out.asymmetricKeyType !== 'ed25519') return fail(field, 'must be an Ed25519 key');
  return out;
}

/** The public key as the JWK `GET /integrity/keys` serves. */
export function publicKeyInfo(keyId: string, key: KeyInput): PublicKeyInfo {
  const jwk = toPublicKey(key).export({ format: 'jwk' }) as { x: string };
  return { keyId, algorithm: 'Ed25519', jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x } };
}

/** A key id derived from the public key: the first 16 hex digits of SHA-256 of its raw 32 bytes. */
export function keyIdOf(key: KeyInput): string {
  const x = (toPublicKey(key).export({ format: 'jwk' }) as { x: string }).x;
  return `ed25519-${createHash('sha256').update(Buffer.from(x, 'base64url')).digest('hex').slice(0, 16)}`;
}

/**
 * Makes a new signing key pair. Keep `privateKeyPem` in the host's secret configuration; publish
 * `publicKeyPem` (and keep it after rotating: old digests still name its key id).
 * @example const { privateKeyPem, publicKeyPem, keyId } = generateSigningKey();
 */
export function generateSigningKey(): { keyId: string; privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    keyId: keyIdOf(publicKey),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/** Normalises a key map once; an unusable key fails loudly, naming its id. */
export function loadPublicKeys(keys: PublicKeys): Map<string, KeyObject> {
  const out = new Map<string, KeyObject>();
  for (const [keyId, key] of Object.entries(keys)) out.set(keyId, toPublicKey(key, `keys.${keyId}`));
  return out;
}
