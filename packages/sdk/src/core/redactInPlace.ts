/**
 * The recorder's redaction path: rewrites an entry it owns (a private, sanitised copy: no cycles, no
 * `__proto__` keys, depth already capped) in place, and notes whether anything changed, so an untouched
 * entry keeps the JSON text it was parsed from. Same result as the copying path in redact.ts.
 */
import type { ActivityEntry, FieldChange, WebhookMessage } from '../types.js';
import type { SecretMatcher } from './redactMatch.js';
import { advance, isTerminal, NO_NODES, type PathNode, type PathRules } from './redactPaths.js';

/** Redacts a string body as the copying path does (parsed JSON, form pairs, or text). */
export type BodyRedaction = (input: unknown, path: string) => unknown;

/** In-place redaction of entries the caller owns. */
export class InPlaceScrubber {
  readonly #m: SecretMatcher;
  readonly #paths: PathRules;
  readonly #body: BodyRedaction;
  /** Set when the scrub hides or rewrites anything. */
  #dirty = false;

  constructor(matcher: SecretMatcher, paths: PathRules, body: BodyRedaction) {
    this.#m = matcher;
    this.#paths = paths;
    this.#body = body;
  }

  /** Redacts `input` in place; returns it. */
  readonly scrubEntry = (input: ActivityEntry): ActivityEntry => {
    if (input.summary !== undefined) input.summary = this.#text(input.summary);
    if (input.metadata !== undefined) {
      input.metadata = this.#at(input.metadata, 'metadata') as Record<string, unknown>;
    }
    if (input.context !== undefined) {
      input.context = this.#at(input.context, 'context') as ActivityEntry['context'];
    }
    if (input.error !== undefined) {
      input.error.message = this.#text(input.error.message);
      if (input.error.stack !== undefined) input.error.stack = this.#text(input.error.stack);
    }
    const hook = input.webhook;
    if (hook !== undefined) {
      if (hook.url !== undefined) hook.url = this.#text(hook.url);
      if (hook.request !== undefined) this.#message(hook.request, 'webhook.request');
      if (hook.response !== undefined) this.#message(hook.response, 'webhook.response');
    }
    if (input.retriggerUrl !== undefined) input.retriggerUrl = this.#text(input.retriggerUrl);
    if (input.changes !== undefined) input.changes = input.changes.map((change) => this.#change(change));
    return input;
  };

  /** {@link InPlaceScrubber.scrubEntry}, answering whether anything was hidden or rewritten. */
  readonly scrubChanged = (input: ActivityEntry): boolean => {
    this.#dirty = false;
    this.scrubEntry(input);
    return this.#dirty;
  };

  #text(value: string): string {
    const out = this.#m.text(value);
    if (out !== value) this.#dirty = true;
    return out;
  }

  #hide(): string {
    this.#dirty = true;
    return this.#m.censor;
  }

  /** Rewrites containers in place and returns the value to store in their parent. */
  #scrub(value: unknown, nodes: readonly PathNode[]): unknown {
    if (typeof value === 'string') return this.#text(value);
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const next = nodes.length === 0 ? NO_NODES : advance(nodes, String(i));
        value[i] = isTerminal(next) ? this.#hide() : this.#scrub(value[i], next);
      }
      return value;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const next = nodes.length === 0 ? NO_NODES : advance(nodes, key);
      record[key] =
        this.#m.isSecretKey(key) || isTerminal(next) ? this.#hide() : this.#scrub(record[key], next);
    }
    return record;
  }

  #at(input: unknown, path: string): unknown {
    const nodes = this.#paths.start(path);
    return isTerminal(nodes) ? this.#hide() : this.#scrub(input, nodes);
  }

  #message(input: WebhookMessage, path: string): void {
    if (input.headers !== undefined) {
      input.headers = this.#at(input.headers, `${path}.headers`) as Record<string, string>;
    }
    if ('body' in input) {
      if (typeof input.body === 'string') {
        const out = this.#body(input.body, `${path}.body`);
        if (out !== input.body) this.#dirty = true;
        input.body = out;
      } else input.body = this.#at(input.body, `${path}.body`);
    }
  }

  /** A change in place; a hidden change becomes a new object without its values. */
  #change(input: FieldChange): FieldChange {
    const nodes = this.#paths.change(input.path, (key) => this.#m.isSecretKey(key));
    if (nodes === undefined) {
      this.#dirty = true;
      return { path: input.path, kind: input.kind, redacted: true };
    }
    if ('before' in input) input.before = this.#scrub(input.before, nodes);
    if ('after' in input) input.after = this.#scrub(input.after, nodes);
    return input;
  }
}
