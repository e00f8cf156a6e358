import { describe, expect, it } from 'vitest';
import { isAbandoned, lastSeenAlive, leaseOverdue } from './jobLiveness.js';

const abandonedError = { name: 'JobAbandoned', code: 'ABANDONED', message: 'No heartbeat since …' };

describe('jobLiveness', () => {
  it('fault 5: tells an abandoned run from any other failure', () => {
    expect(isAbandoned({ status: 'FAILED', error: abandonedError })).toBe(true);
    expect(isAbandoned({ status: 'FAILED', error: { name: 'Error', message: 'boom' } })).toBe(false);
    expect(isAbandoned({ status: 'FAILED', error: undefined })).toBe(false);
    // Only the sweeper's final status counts; a running job cannot be abandoned yet.
    expect(isAbandoned({ status: 'IN_PROGRESS', error: abandonedError })).toBe(false);
  });

  it('fault 5: reads when the run was last seen alive, ignoring what is not a date', () => {
    expect(lastSeenAlive({ status: 'FAILED', error: undefined, heartbeatAt: '2026-03-10T11:56:00Z' })).toBe(
      '2026-03-10T11:56:00Z',
    );
    expect(lastSeenAlive({ status: 'FAILED', error: undefined, heartbeatAt: 'yesterday' })).toBeUndefined();
    expect(lastSeenAlive({ status: 'FAILED', error: undefined })).toBeUndefined();
  });

  it('fault 5: a running job is overdue once its lease has passed, never before, never once finished', () => {
    const now = Date.parse('2026-03-10T12:00:00Z');
    const run = { status: 'IN_PROGRESS' as const, error: undefined };
    expect(leaseOverdue({ ...run, leaseExpiresAt: '2026-03-10T11:59:59Z' }, now)).toBe(true);
    expect(leaseOverdue({ ...run, leaseExpiresAt: '2026-03-10T12:00:00Z' }, now)).toBe(false);
    expect(leaseOverdue({ ...run, leaseExpiresAt: '2026-03-10T12:00:30Z' }, now)).toBe(false);
    expect(leaseOverdue({ ...run }, now)).toBe(false);
    expect(leaseOverdue({ ...run, leaseExpiresAt: 'soon' }, now)).toBe(false);
    expect(
      leaseOverdue({ status: 'SUCCESS', error: undefined, leaseExpiresAt: '2026-03-10T11:00:00Z' }, now),
    ).toBe(false);
  });
});
