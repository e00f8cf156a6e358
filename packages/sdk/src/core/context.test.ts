import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../testing/memoryStore.js';
import type { ActivityEntry } from '../types.js';
import { createActivity } from './activity.js';
import { currentContext, withContext } from './context.js';

const user = { kind: 'user' as const, id: 'u_riley', name: 'Riley Park' };

describe('withContext', () => {
  it('is undefined outside any context', () => {
    expect(currentContext()).toBeUndefined();
  });

  it('carries the context across awaits and timers', async () => {
    const seen = await withContext({ orgId: 'org_1', actor: user }, async () => {
      await delay(5);
      const afterAwait = currentContext();
      const inTimer = await new Promise((resolve) => setTimeout(() => resolve(currentContext()), 5));
      const inImmediate = await new Promise((resolve) => setImmediate(() => resolve(currentContext())));
      return [afterAwait, inTimer, inImmediate];
    });
    for (const ctx of seen) expect(ctx).toMatchObject({ orgId: 'org_1', actor: user });
  });

  it('merges nested contexts, the inner one winning, and restores the outer one after', async () => {
    await withContext({ orgId: 'org_1', actor: user, correlationId: 'c_outer' }, async () => {
      await withContext({ correlationId: 'c_inner', parentId: 'p_1' }, async () => {
        await delay(1);
        expect(currentContext()).toMatchObject({
          orgId: 'org_1',
          actor: user,
          correlationId: 'c_inner',
          parentId: 'p_1',
        });
      });
      expect(currentContext()?.correlationId).toBe('c_outer');
      expect(currentContext()?.parentId).toBeUndefined();
    });
  });

  it('keeps concurrent contexts apart', async () => {
    const run = (org: string, ms: number) =>
      withContext({ orgId: org }, async () => {
        await delay(ms);
        return currentContext()?.orgId;
      });
    expect(await Promise.all([run('a', 10), run('b', 1), run('c', 5)])).toEqual(['a', 'b', 'c']);
  });
});

describe('context on recorded entries', () => {
  const store = createMemoryStore();
  const activity = createActivity({ store, flushIntervalMs: 1 });
  afterEach(() => activity.flush());

  async function stored(id: string | undefined, orgId: string): Promise<ActivityEntry> {
    expect(id).toBeTypeOf('string');
    await activity.flush();
    const entry = await store.get(orgId, id as string);
    expect(entry).toBeDefined();
    return entry as ActivityEntry;
  }

  it('stamps orgId, actor, correlationId, parentId and request context from the context', async () => {
    const id = await activity.withContext(
      {
        orgId: 'org_ctx',
        actor: user,
        correlationId: 'corr_1',
        parentId: 'parent_1',
        context: { requestId: 'req_9' },
      },
      async () => {
        await delay(2);
        return activity.record({
          type: 'USER_ACTION',
          action: 'contact.updated',
          entity: { type: 'contact', id: 'c1' },
        });
      },
    );
    const entry = await stored(id, 'org_ctx');
    expect(entry).toMatchObject({
      orgId: 'org_ctx',
      actor: user,
      correlationId: 'corr_1',
      parentId: 'parent_1',
      context: { requestId: 'req_9' },
    });
  });

  it('lets explicit input win over the context', async () => {
    const id = withContext({ orgId: 'org_ctx', actor: user, correlationId: 'corr_1' }, () =>
      activity.record({
        type: 'SYSTEM_EVENT',
        action: 'cache.cleared',
        orgId: 'org_explicit',
        actor: { kind: 'system', id: 'cron' },
        correlationId: 'corr_2',
      }),
    );
    const entry = await stored(id, 'org_explicit');
    expect(entry.actor.id).toBe('cron');
    expect(entry.correlationId).toBe('corr_2');
  });

  it('gives entries recorded inside runJob the run as parent and its correlation id', async () => {
    let childId: string | undefined;
    let runId = '';
    await activity.withContext({ orgId: 'org_job', actor: user }, () =>
      activity.runJob('SYNC_SQUARE_STOCK', undefined, async (run) => {
        runId = run.id;
        await delay(2);
        childId = await new Promise<string | undefined>((resolve) =>
          setTimeout(
            () =>
              resolve(
                activity.record({
                  type: 'USER_ACTION',
                  action: 'product.updated',
                  entity: { type: 'product', id: 'p1' },
                }),
              ),
            1,
          ),
        );
      }),
    );
    const child = await stored(childId, 'org_job');
    const run = await stored(runId, 'org_job');
    expect(child.parentId).toBe(runId);
    expect(child.correlationId).toBe(run.correlationId);
    // Whoever triggered the job stays the actor of what it changes; the run itself is the system's.
    expect(child.actor).toEqual(user);
    expect(run.actor.kind).toBe('system');
    expect(run.status).toBe('SUCCESS');
  });
});
