/**
 * Async context on AsyncLocalStorage: actor, org and correlation set once around a request or a job
 * reach every entry recorded inside it, across awaits and timers.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ActivityContext } from './api.js';

// One storage per process, shared by every recorder: middleware can set the context without holding one.
const storage = new AsyncLocalStorage<ActivityContext>();

/** Merges `inner` over `outer`; fields left undefined in `inner` keep the outer value. */
export function mergeContext(outer: ActivityContext | undefined, inner: ActivityContext): ActivityContext {
  return {
    orgId: inner.orgId ?? outer?.orgId,
    actor: inner.actor ?? outer?.actor,
    correlationId: inner.correlationId ?? outer?.correlationId,
    parentId: inner.parentId ?? outer?.parentId,
    context: inner.context ?? outer?.context,
  };
}

/**
 * Runs `fn` with `context` merged over the current one (inner wins); entries recorded inside it,
 * however deep and however many awaits later, carry its orgId, actor, correlationId and parentId.
 */
export function withContext<T>(context: ActivityContext, fn: () => T): T {
  return storage.run(mergeContext(storage.getStore(), context ?? {}), fn);
}

/** The context of the current async execution, if any. */
export function currentContext(): ActivityContext | undefined {
  return storage.getStore();
}
