import type { ActivityFilter, ViewerPermission } from '@activity/sdk/client';
import { QueryClient, useQuery } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useMemo, useState } from 'react';
import type { DateLocale as Locale } from './dateLocale.js';
import { labelsFromCatalog } from './format.js';
import { type ActivityStrings, type DeepPartial, mergeStrings } from './strings.js';
import type { ActivityLabels, ActivityQueryClient } from './types.js';

/** What every hook and component reads from {@link ActivityProvider}. */
export interface ActivityContextValue {
  client: ActivityQueryClient;
  queryClient: QueryClient;
  strings: ActivityStrings;
  labels: ActivityLabels;
  locale?: Locale | undefined;
  timeZone?: string | undefined;
  /** `data-theme` put on every themed surface, portals included. */
  theme: ActivityTheme;
  /** What the viewer may do; undefined when the host did not say (every action is offered). */
  permissions?: readonly ViewerPermission[] | undefined;
  /** Link to the host's Activity page showing a filter (see {@link ActivityProviderProps.activityHref}). */
  activityHref?: ((filter: ActivityFilter) => string | undefined) | undefined;
}

/** Colour scheme: follow the OS (`system`) or force one. */
export type ActivityTheme = 'light' | 'dark' | 'system';

const ActivityContext = createContext<ActivityContextValue | null>(null);

/** Props of {@link ActivityProvider}. */
export interface ActivityProviderProps {
  /** The query client, usually `createActivityClient({ baseUrl })` from `@activity/sdk/client`. */
  client: ActivityQueryClient;
  /** Share the host's react-query cache; a private one is created when omitted. */
  queryClient?: QueryClient | undefined;
  /** Entity type and action labels; merged over what `client.catalog()` returns. */
  labels?: ActivityLabels | undefined;
  /** Overrides for any visible string. */
  strings?: DeepPartial<ActivityStrings> | undefined;
  /** date-fns locale for relative times and dates. */
  locale?: Locale | undefined;
  /** IANA time zone for displayed times and custom ranges. @default the browser's */
  timeZone?: string | undefined;
  /** Colour scheme of the components (and their popovers and drawer). @default 'system' */
  theme?: ActivityTheme | undefined;
  /**
   * The viewer's permissions (`Viewer.permissions` of the server's `authorize`), to hide Retry and
   * disable Export CSV when they are missing. The server checks again. @default every action offered
   */
  permissions?: readonly ViewerPermission[] | undefined;
  /**
   * Where the host's Activity page is, for a filter: "View all in Activity" links (`<EntityHistory/>`) use
   * it. Only http(s) and relative URLs are rendered.
   * @example (filter) => `/activity?${serializeFilter(filter)}`
   */
  activityHref?: ((filter: ActivityFilter) => string | undefined) | undefined;
  children?: ReactNode;
}

function createDefaultQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: { queries: { staleTime: 15_000, retry: 1, refetchOnWindowFocus: false } },
  });
}

/**
 * Gives the components and hooks their client, cache, strings and locale. Hooks pass this cache to
 * react-query explicitly, so a host's own `QueryClientProvider` is left untouched.
 * @example <ActivityProvider client={createActivityClient({ baseUrl: '/api/activity' })}><ActivityLog /></ActivityProvider>
 */
export function ActivityProvider(props: ActivityProviderProps): ReactNode {
  const [ownQueryClient] = useState(createDefaultQueryClient);
  const queryClient = props.queryClient ?? ownQueryClient;
  const { client } = props;
  const catalog = useQuery(
    {
      queryKey: ['activity', 'catalog'],
      queryFn: () => (client.catalog ? client.catalog() : Promise.resolve(null)),
      staleTime: Number.POSITIVE_INFINITY,
      retry: false,
    },
    queryClient,
  );
  const strings = useMemo(() => mergeStrings(props.strings), [props.strings]);
  // "No catalog yet" and "no catalog" (undefined → null) give the same labels: keep the object, so a
  // client without catalog() does not re-render every memoised row once its query settles.
  const catalogData = catalog.data ?? null;
  const labels = useMemo<ActivityLabels>(() => {
    const fromCatalog = labelsFromCatalog(catalogData);
    return {
      entityTypes: { ...fromCatalog.entityTypes, ...props.labels?.entityTypes },
      actions: { ...fromCatalog.actions, ...props.labels?.actions },
    };
  }, [catalogData, props.labels]);
  const value = useMemo<ActivityContextValue>(
    () => ({
      client,
      queryClient,
      strings,
      labels,
      locale: props.locale,
      timeZone: props.timeZone,
      theme: props.theme ?? 'system',
      permissions: props.permissions,
      activityHref: props.activityHref,
    }),
    [
      client,
      queryClient,
      strings,
      labels,
      props.locale,
      props.timeZone,
      props.theme,
      props.permissions,
      props.activityHref,
    ],
  );
  return <ActivityContext.Provider value={value}>{props.children}</ActivityContext.Provider>;
}

/** The provider's value; throws a clear error outside {@link ActivityProvider}. */
export function useActivityContext(): ActivityContextValue {
  const value = useContext(ActivityContext);
  if (!value) throw new Error('@activity/react: wrap your components in <ActivityProvider client={…}>.');
  return value;
}

/** The query client given to {@link ActivityProvider}. */
export function useActivityClient(): ActivityQueryClient {
  return useActivityContext().client;
}

/** The merged visible strings. */
export function useActivityStrings(): ActivityStrings {
  return useActivityContext().strings;
}

// True below a part that already carries `.activity-theme` (the composite page), so nested parts do not
// repeat it; parts used on their own have no such ancestor and theme themselves.
const ThemedContext = createContext(false);

/** Marks `children` as inside a themed surface, so {@link useThemeAttributes} adds nothing there. */
export function ThemedSurface({ children }: { children?: ReactNode }): ReactNode {
  return <ThemedContext.Provider value={true}>{children}</ThemedContext.Provider>;
}

/**
 * `className`/`data-theme` for a top-level part: the theme class and the provider's theme when no themed
 * ancestor gives them (a table, filter bar or histogram used on its own), nothing otherwise.
 */
export function useThemeAttributes(): {
  className: string | undefined;
  'data-theme': ActivityTheme | undefined;
} {
  const themed = useContext(ThemedContext);
  const { theme } = useActivityContext();
  return themed
    ? { className: undefined, 'data-theme': undefined }
    : { className: 'activity-theme', 'data-theme': theme };
}

/** Props of {@link ActivityScope}. */
export interface ActivityScopeProps {
  strings?: DeepPartial<ActivityStrings> | undefined;
  locale?: Locale | undefined;
  timeZone?: string | undefined;
  theme?: ActivityTheme | undefined;
  permissions?: readonly ViewerPermission[] | undefined;
  children?: ReactNode;
}

/** Overrides strings, locale, time zone, theme or permissions for a subtree, keeping the client and cache. */
export function ActivityScope({
  strings,
  locale,
  timeZone,
  theme,
  permissions,
  children,
}: ActivityScopeProps): ReactNode {
  const parent = useActivityContext();
  const value = useMemo<ActivityContextValue>(() => {
    if (!strings && !locale && !timeZone && !theme && !permissions) return parent;
    const merged = strings
      ? mergeStrings({ ...parent.strings, ...strings } as DeepPartial<ActivityStrings>)
      : parent.strings;
    return {
      ...parent,
      strings: merged,
      locale: locale ?? parent.locale,
      timeZone: timeZone ?? parent.timeZone,
      theme: theme ?? parent.theme,
      permissions: permissions ?? parent.permissions,
    };
  }, [parent, strings, locale, timeZone, theme, permissions]);
  return <ActivityContext.Provider value={value}>{children}</ActivityContext.Provider>;
}

/**
 * Whether the viewer may `permission`, from the provider's `permissions`; true when none were given
 * (the server still answers 403, which the components show).
 */
export function useViewerCan(permission: ViewerPermission): boolean {
  const { permissions } = useActivityContext();
  return permissions === undefined || permissions.includes(permission);
}
