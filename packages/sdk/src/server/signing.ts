/**
 * Signed, expiring export download tokens: HMAC-SHA256 over `exportId|orgId|expiresAt`, base64url.
 * The org is signed but not carried in the token, so a token only verifies for a viewer of that org.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ActivityError } from '../errors.js';

/** Shortest HMAC secret accepted: 16 characters. */
export const MIN_SECRET_LENGTH = 16;

/** What an export token grants. */
export interface ExportTokenClaims {
  exportId: string;
  orgId: string;
  /** Expiry as epoch milliseconds. */
  expiresAt: number;
}

/** Throws `CONFIG` (field `secret`) unless the secret is a string of at least {@link MIN_SECRET_LENGTH} characters. */
export function assertSecret(secret: unknown): asserts secret is string {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new ActivityError(
      'CONFIG',
      `secret: must be a string of at least ${MIN_SECRET_LENGTH} characters (use 32 random bytes, e.g. \`openssl rand -base64 32\`)`,
      { field: 'secret' },
    );
  }
}

function mac(claims: ExportTokenClaims, secret: string): Buffer {
  return createHmac('sha256', secret)
    .update(`${claims.exportId}|${claims.orgId}|${claims.expiresAt}`)
    .digest();
}

/**
 * Signs a download token of the form `<exportId>.<expiresAt>.<signature>`.
 * @example signExportToken({ exportId, orgId: 'org_1', expiresAt: Date.now() + 86_400_000 }, secret)
 */
export function signExportToken(claims: ExportTokenClaims, secret: string): string {
  assertSecret(secret);
  return `${claims.exportId}.${claims.expiresAt}.${mac(claims, secret).toString('base64url')}`;
}

/**
 * Verifies a token for a viewer's org: well-formed, correctly signed for `orgId`, not expired at `now`.
 * Returns the claims, or undefined for anything wrong (never throws on bad input).
 */
export function verifyExportToken(
  token: unknown,
  orgId: string,
  secret: string,
  now: Date = new Date(),
): ExportTokenClaims | undefined {
  if (typeof token !== 'string' || token.length > 512) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [exportId, expires, signature] = parts as [string, string, string];
  if (!/^[0-9a-f-]{36}$/.test(exportId) || !/^\d{1,16}$/.test(expires) || !/^[\w-]+$/.test(signature)) {
    return undefined;
  }
  const claims: ExportTokenClaims = { exportId, orgId, expiresAt: Number(expires) };
  const expected = mac(claims, secret);
  const given = Buffer.from(signature, 'base64url');
  // timingSafeEqual throws on unequal lengths; the length of a SHA-256 MAC is public anyway.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  // base64url has several spellings of the last character; accept only the canonical one.
  if (given.toString('base64url') !== signature) return undefined;
  if (claims.expiresAt <= now.getTime()) return undefined;
  return claims;
}
