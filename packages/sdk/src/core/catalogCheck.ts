/**
 * The runtime catalog check: the compiler catches a misspelt action in TypeScript, this catches it from
 * plain JavaScript (or through a cast). It looks only at the names the catalog declares, a few own-key
 * lookups per entry; shapes and sizes are left to the validation, which names those faults precisely.
 */
import { ActivityError } from '../errors.js';
import type { CatalogDefinition } from './catalog.js';

/** Longest value quoted in a message; the validation bounds the rest of the entry. */
const QUOTE_MAX = 80;
/** Known names listed in a message, so a large catalog does not make a long one. */
const KNOWN_MAX = 8;

function quote(value: string): string {
  return JSON.stringify(value.length > QUOTE_MAX ? `${value.slice(0, QUOTE_MAX)}…` : value);
}

function known(names: readonly string[]): string {
  if (names.length === 0) return 'none declared';
  const shown = names.slice(0, KNOWN_MAX).join(', ');
  return names.length > KNOWN_MAX ? `${shown}, …` : shown;
}

function unknown(field: string, what: string, value: string, names: readonly string[]): ActivityError {
  return new ActivityError(
    'INVALID_EVENT',
    `${field}: ${quote(value)} is not a ${what} of the catalog (declared: ${known(names)})`,
    { field },
  );
}

const has = (section: object | undefined, key: string): boolean =>
  section !== undefined && Object.hasOwn(section, key);

/** The candidate's own string member, or undefined (a missing or malformed one is the validation's to report). */
function text(source: unknown, key: string): string | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const value = (source as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

function checkUserAction(catalog: CatalogDefinition, action: string, entityType: string | undefined) {
  const dot = action.indexOf('.');
  const type = dot === -1 ? '' : action.slice(0, dot);
  const entity = has(catalog.entities, type) ? catalog.entities[type] : undefined;
  if (entity === undefined || !has(entity.actions, action.slice(dot + 1))) {
    const names = entity
      ? Object.keys(entity.actions).map((name) => `${type}.${name}`)
      : Object.keys(catalog.entities).map((name) => `${name}.…`);
    return unknown('action', 'user action', action, names);
  }
  if (entityType !== undefined && entityType !== type) {
    return new ActivityError(
      'INVALID_EVENT',
      `entity.type: ${quote(entityType)} does not match the action ${quote(action)} (expected "${type}")`,
      { field: 'entity.type' },
    );
  }
  return undefined;
}

/** The first name `candidate` uses that `catalog` does not declare; sections the catalog omits are not checked. */
function check(catalog: CatalogDefinition, candidate: Record<string, unknown>): ActivityError | undefined {
  const action = text(candidate, 'action');
  const entityType = text(candidate.entity, 'type');
  if (entityType !== undefined && !has(catalog.entities, entityType)) {
    return unknown('entity.type', 'entity type', entityType, Object.keys(catalog.entities));
  }
  if (action === undefined) return undefined;
  switch (candidate.type) {
    case 'USER_ACTION':
      return checkUserAction(catalog, action, entityType);
    case 'BACKGROUND_JOB': {
      const jobs = catalog.jobs;
      return jobs === undefined || has(jobs, action)
        ? undefined
        : unknown('action', 'job name', action, Object.keys(jobs));
    }
    case 'SYSTEM_EVENT': {
      const events = catalog.systemEvents;
      return events === undefined || has(events, action)
        ? undefined
        : unknown('action', 'system event', action, Object.keys(events));
    }
    case 'WEBHOOK': {
      const hooks = catalog.webhooks;
      const provider = text(candidate.webhook, 'provider');
      if (hooks === undefined || provider === undefined) return undefined;
      const def = has(hooks, provider) ? hooks[provider] : undefined;
      if (def === undefined)
        return unknown('webhook.provider', 'webhook provider', provider, Object.keys(hooks));
      return def.events.includes(action)
        ? undefined
        : unknown('action', `${provider} event type`, action, def.events);
    }
    default:
      return undefined;
  }
}

/**
 * Checks the entity type, action, job name, system event and webhook provider and event type of a
 * candidate entry against the catalog. Returns an `INVALID_EVENT` error naming the field, or undefined.
 * Never throws: input whose getters throw is left to the validation, which reports it.
 */
export function checkCatalog(
  catalog: CatalogDefinition,
  candidate: Record<string, unknown>,
): ActivityError | undefined {
  try {
    return check(catalog, candidate);
  } catch {
    return undefined;
  }
}
