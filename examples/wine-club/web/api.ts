/** The host app's own API calls (records and session), cached with the same react-query client. */
import { createActivityClient } from '@activity/sdk/client';
import { QueryClient, useQuery } from '@tanstack/react-query';
import type { Contact, Product, Release, TeamMember } from '../server/data';

/** One cache for the host's queries and the activity components. */
export const queryClient = new QueryClient({
  defaultOptions: { queries: { staleTime: 15_000, retry: 1, refetchOnWindowFocus: false } },
});

/** The activity query client: the session cookie authenticates it. */
export const activityClient = createActivityClient({ baseUrl: '/api/activity' });

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status.toString()}`);
  return (await response.json()) as T;
}

/** The signed-in member and the team. */
export function useSession() {
  return useQuery({
    queryKey: ['session'],
    queryFn: () => getJson<{ member: TeamMember; team: TeamMember[]; orgId: string }>('/api/session'),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

/** Signs in as another member, then reloads so every cache starts over for the new viewer. */
export async function switchMember(memberId: string): Promise<void> {
  await fetch('/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ memberId }),
  });
  window.location.reload();
}

/** A collection of records. */
export function useRecords<T>(collection: 'contacts' | 'releases' | 'products') {
  return useQuery({
    queryKey: [collection],
    queryFn: () => getJson<{ items: T[] }>(`/api/${collection}`).then((r) => r.items),
  });
}

/** One record. */
export function useRecord<T>(collection: 'contacts' | 'releases' | 'products', id: string) {
  return useQuery({
    queryKey: [collection, id],
    queryFn: () => getJson<T>(`/api/${collection}/${encodeURIComponent(id)}`),
  });
}

export type { Contact, Product, Release, TeamMember };

/** Formats cents as dollars. */
export function money(cents: number): string {
  return (cents / 100).toLocaleString('en-US', { style: 'currency', currency: 'USD' });
}

/** Link to an entity's page in this app, for the activity log. */
export function entityHref(entity: { type: string; id: string }): string | undefined {
  const id = encodeURIComponent(entity.id);
  if (entity.type === 'contact') return `/contacts/${id}`;
  if (entity.type === 'release') return `/releases/${id}`;
  if (entity.type === 'product') return `/products/${id}`;
  return undefined;
}
