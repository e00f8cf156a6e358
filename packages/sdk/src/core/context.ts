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

const CONTEXT_FIELDS = ['orgId', 'actor', 'correlationId', 'parentId', 'context'] as const;

/**
 * A plain copy of the host's context that cannot throw: a field whose read throws (a hostile getter
 * or Proxy) is left out, and anything but an object counts as no context. The values are checked
 * where they are used, by record()'s validation, which names the field.
 */
function readContext(context: unknown): ActivityContext {
  const copy: Record<string, unknown> = {};
  try {
    if (context === null || typeof context !== 'object') return copy;
  } catch {
    return copy;
  }
  for (const key of CONTEXT_FIELDS) {
    try {
      const value: unknown = (context as Record<string, unknown>)[key];
      if (value !== undefined) copy[key] = value;
    } catch {
      // Unreadable: as if unset, so the outer context's value applies.
    }
  }
  return copy as ActivityContext;
}

/**
 * Runs `fn` with `context` merged over the current one (inner wins); entries recorded inside it,
 * however deep and however many awaits later, carry its orgId, actor, correlationId and parentId.
 * Never throws its own error: an unreadable context (or field) is ignored and `fn` still runs; only
 * what `fn` itself throws reaches the caller.
 */
export function withContext<T>(context: ActivityContext, fn: () => T): T {
  if (typeof fn !== 'function') return undefined as T;
  return storage.run(mergeContext(storage.getStore(), readContext(context)), fn);
}

/** The context of the current async execution, if any. */
export function currentContext(): ActivityContext | undefined {
  return storage.getStore();
}
