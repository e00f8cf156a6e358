import type { ActivityEntry } from '@activity/sdk/client';
import { createActivityClient } from '@activity/sdk/client';
import { type ActivityMswOptions, createActivityMswHandlers } from '@activity/sdk/testing/msw';
import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { setupServer } from 'msw/node';
import type { ReactElement } from 'react';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { ActivityProvider, type ActivityProviderProps } from '../src/index.js';

/** Where the mocked API lives. */
export const BASE_URL = 'http://localhost/api/activity';

/** One msw server per test file; handlers are installed per test with `useApi`. */
export const server = setupServer();

/** Starts and stops the msw server around the file's tests. */
export function installServer(): void {
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
}

/** Serves `entries` through the real handler (memory store) and returns a real client for it. */
export function useApi(entries: ActivityEntry[], options: Partial<ActivityMswOptions> = {}) {
  server.use(...createActivityMswHandlers({ baseUrl: BASE_URL, entries, ...options }));
  const requests: URL[] = [];
  server.events.removeAllListeners('request:start');
  server.events.on('request:start', ({ request }) => {
    requests.push(new URL(request.url));
  });
  return { client: createActivityClient({ baseUrl: BASE_URL }), requests };
}

/** Renders inside an ActivityProvider with a fresh, retry-free cache. */
export function renderWithProvider(ui: ReactElement, props: Omit<ActivityProviderProps, 'children'>) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: 60_000 } } });
  return render(
    <ActivityProvider queryClient={queryClient} {...props}>
      {ui}
    </ActivityProvider>,
  );
}
