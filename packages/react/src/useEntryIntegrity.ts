import type { ActivityEntry } from '@activity/sdk/client';
import { checkProof, type Digest } from '@activity/sdk/integrity/check';
import { useQuery } from '@tanstack/react-query';
import { useActivityContext } from './context.js';

/** Where an entry stands, as the drawer's badge shows it. */
export type EntryIntegrity =
  /** The server has no integrity routes (or the client no integrity methods): show nothing. */
  | { state: 'off' }
  | { state: 'checking' }
  /** Not in a digest yet; sealed every `intervalMs`. */
  | { state: 'unsealed'; intervalMs: number }
  /** The proof checked in this browser: hash path and Ed25519 signature. */
  | { state: 'verified'; digest: Digest }
  /** The hash path checked, but this browser cannot check Ed25519 signatures. */
  | { state: 'unsupported'; digest: Digest }
  | { state: 'failed'; kind: string; message: string };

const notFound = (error: unknown) => (error as { status?: number } | null)?.status === 404;

/**
 * The server's integrity keys and seal interval (one cached request per page); `enabled` is false when
 * the client has no integrity methods or the server answers 404 (integrity not configured).
 */
export function useIntegrityKeys(active = true) {
  const { client, queryClient } = useActivityContext();
  const supported = typeof client.proof === 'function' && typeof client.integrityKeys === 'function';
  const keys = useQuery(
    {
      queryKey: ['activity', 'integrity', 'keys'],
      queryFn: () => (client.integrityKeys as NonNullable<typeof client.integrityKeys>)(),
      enabled: supported && active,
      staleTime: Number.POSITIVE_INFINITY,
      retry: false,
    },
    queryClient,
  );
  return { supported, keys, enabled: supported && keys.data !== undefined };
}

/**
 * Fetches an entry's inclusion proof and the public keys, and checks the proof with Web Crypto in the
 * browser, so "Verified" never rests on the server's word alone.
 */
export function useEntryIntegrity(entry: Pick<ActivityEntry, 'id'> | undefined): EntryIntegrity {
  const { client, queryClient } = useActivityContext();
  const id = entry?.id ?? '';
  const { supported, keys } = useIntegrityKeys(id !== '');
  const proof = useQuery(
    {
      queryKey: ['activity', 'integrity', 'proof', id],
      queryFn: () => (client.proof as NonNullable<typeof client.proof>)(id),
      enabled: supported && id !== '',
      retry: false,
    },
    queryClient,
  );
  const sealed = proof.data?.sealed ? proof.data.proof : undefined;
  const check = useQuery(
    {
      queryKey: ['activity', 'integrity', 'check', id, sealed?.digest.sequence, sealed?.digest.signature],
      queryFn: () => checkProof(sealed as NonNullable<typeof sealed>, keys.data?.keys ?? []),
      enabled: sealed !== undefined && keys.data !== undefined,
      staleTime: Number.POSITIVE_INFINITY,
      retry: false,
    },
    queryClient,
  );
  if (!supported || notFound(keys.error) || (notFound(proof.error) && !keys.data)) return { state: 'off' };
  if (proof.error || keys.error) {
    return { state: 'failed', kind: 'unavailable', message: String((proof.error ?? keys.error) as Error) };
  }
  if (!proof.data) return { state: 'checking' };
  if (!proof.data.sealed) return { state: 'unsealed', intervalMs: proof.data.intervalMs };
  if (sealed && sealed.entry.id !== id) {
    return { state: 'failed', kind: 'modified', message: 'the proof is for another entry' };
  }
  if (!check.data)
    return check.error
      ? { state: 'failed', kind: 'bad-proof', message: String(check.error) }
      : { state: 'checking' };
  if (check.data.ok) return { state: 'verified', digest: check.data.digest };
  if (check.data.reason === 'unsupported' && sealed) return { state: 'unsupported', digest: sealed.digest };
  return { state: 'failed', kind: check.data.reason, message: check.data.message };
}
