/**
 * Shared pieces of the stories: a provider bound to the mocked API, and per-story msw parameters.
 * The API behind every story is the real handler over an in-memory store (`@activity/sdk/testing/msw`).
 */

import { ActivityProvider, type ActivityTheme } from '@activity/react';
import { createActivityClient } from '@activity/sdk/client';
import type { ActivityScenario } from '@activity/sdk/testing/msw';
import type { Decorator } from '@storybook/react-vite';
import type { ReactNode } from 'react';
import { useMemo } from 'react';

/** Where the stories' client points; the msw handlers answer here. */
export const STORY_API = '/api/activity';

/** The viewer's theme from the toolbar (`globals.theme`). */
export function themeOf(globals: Record<string, unknown>): ActivityTheme {
  return globals.theme === 'dark' ? 'dark' : 'light';
}

/** An {@link ActivityProvider} with a fresh cache, talking to the mocked API at `baseUrl`. */
export function StoryProvider(props: {
  theme: ActivityTheme;
  baseUrl?: string;
  children: ReactNode;
}): ReactNode {
  const baseUrl = props.baseUrl ?? STORY_API;
  const client = useMemo(() => createActivityClient({ baseUrl }), [baseUrl]);
  return (
    <ActivityProvider client={client} theme={props.theme}>
      {props.children}
    </ActivityProvider>
  );
}

/** Wraps each story in {@link StoryProvider}, themed from the toolbar. */
export const withActivity: Decorator = (Story, context) => {
  const theme = themeOf(context.globals);
  // Parts used on their own (table, filter bar, histogram) take their tokens from an .activity-theme ancestor.
  return (
    <StoryProvider theme={theme}>
      <div className="activity-theme" data-theme={theme} style={{ minHeight: '100vh' }}>
        <Story />
      </div>
    </StoryProvider>
  );
};

/** `parameters.msw` for a scenario; built lazily so a 100k-row scenario costs nothing until its story opens. */
export function api(make: () => ActivityScenario): { readonly msw: ActivityScenario['handlers'] } {
  let handlers: ActivityScenario['handlers'] | undefined;
  return {
    get msw() {
      handlers ??= make().handlers;
      return handlers;
    },
  };
}

/** A narrow phone-sized frame, for the "narrow viewport" stories. */
export function Narrow({ children }: { children: ReactNode }): ReactNode {
  return <div style={{ width: 375, maxWidth: '100%', borderRight: '1px dashed #8884' }}>{children}</div>;
}
