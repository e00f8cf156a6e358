/**
 * A few lines of client-side routing (no router package): the path as an external store, `navigate()`,
 * and one document-level click handler so every same-origin link (the activity log's entity links too)
 * changes page without a reload.
 */
import { type AnchorHTMLAttributes, type ReactNode, useSyncExternalStore } from 'react';

const NAVIGATE = 'wineclub:navigate';

function subscribe(listener: () => void): () => void {
  window.addEventListener('popstate', listener);
  window.addEventListener(NAVIGATE, listener);
  return () => {
    window.removeEventListener('popstate', listener);
    window.removeEventListener(NAVIGATE, listener);
  };
}

const getLocation = () => window.location.pathname + window.location.search;

/** The current path and query string; re-renders on navigation. */
export function useLocation(): { pathname: string; search: string } {
  const href = useSyncExternalStore(subscribe, getLocation);
  const url = new URL(href, 'http://x');
  return { pathname: url.pathname, search: url.search };
}

/** Goes to `href` (same origin) without reloading. */
export function navigate(href: string): void {
  if (href === getLocation()) return;
  window.history.pushState(null, '', href);
  window.dispatchEvent(new Event(NAVIGATE));
  window.scrollTo(0, 0);
}

/** Makes plain left-clicks on same-origin links client-side navigations. Call once at startup. */
export function interceptLinks(): void {
  document.addEventListener('click', (event) => {
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    )
      return;
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href, window.location.href);
    // /dev/* and /api/* are server pages, not app routes.
    if (url.origin !== window.location.origin || /^\/(api|dev)\//.test(url.pathname)) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}

/** Matches `pattern` (`/contacts/:id`) against `pathname`; returns the params or undefined. */
export function match(pattern: string, pathname: string): Record<string, string> | undefined {
  const a = pattern.split('/').filter(Boolean);
  const b = pathname.split('/').filter(Boolean);
  if (a.length !== b.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const p = a[i] ?? '';
    const v = b[i] ?? '';
    if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(v);
    else if (p !== v) return undefined;
  }
  return params;
}

/** An anchor; navigation is handled by {@link interceptLinks}. */
export function Link(
  props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; children?: ReactNode },
): ReactNode {
  return <a {...props} />;
}
