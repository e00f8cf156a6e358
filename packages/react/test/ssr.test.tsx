// @vitest-environment node
import { createActivityClient } from '@activity/sdk/client';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ActivityLog, ActivityProvider } from '../src/index.js';

describe('server-side rendering', () => {
  it('renders the page shell without touching window or document', () => {
    expect(typeof window).toBe('undefined');
    const client = createActivityClient({
      baseUrl: 'http://localhost/api/activity',
      fetch: () => new Promise(() => {}),
    });
    const html = renderToString(
      <ActivityProvider client={client}>
        <ActivityLog />
      </ActivityProvider>,
    );
    expect(html).toContain('Activity Logs');
    expect(html).toContain('role="grid"');
    expect(html).toContain('Loading activity…');
  });
});
