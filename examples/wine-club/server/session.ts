/**
 * The demo's sign-in: a cookie (or an `x-demo-user` header, for scripts) names one of the team members;
 * without one the viewer is the owner. A real app reads its own session here.
 */
import type { Viewer } from '@activity/sdk';
import { ORG_ID, TEAM, type TeamMember } from './data.js';

/** Cookie holding the signed-in team member's id. */
export const SESSION_COOKIE = 'wc_user';

function cookie(header: string | null | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/** The team member of a request: header first, then cookie, else the owner. */
export function sessionMember(headers: { get(name: string): string | null }): TeamMember {
  const id = headers.get('x-demo-user') ?? cookie(headers.get('cookie'), SESSION_COOKIE);
  return TEAM.find((m) => m.id === id) ?? (TEAM[0] as TeamMember);
}

/** `authorize()` of the activity handler: the signed-in member as a viewer of the demo org. */
export function authorize(request: Request): Viewer {
  const member = sessionMember(request.headers);
  return { orgId: ORG_ID, userId: member.id, name: member.name, permissions: [...member.permissions] };
}

/** `Set-Cookie` value signing in as `memberId`. */
export function sessionCookie(memberId: string): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(memberId)}; Path=/; SameSite=Lax; HttpOnly; Max-Age=31536000`;
}
