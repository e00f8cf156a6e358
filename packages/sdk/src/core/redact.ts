/**
 * Redaction applied to every entry before it is stored: secret-looking keys, configured paths and
 * secret-looking values inside strings. Matchers are compiled once per redactor (this is on the hot
 * path): key and value rules in redactMatch.ts, path rules in redactPaths.ts, the recorder's in-place
 * path in redactInPlace.ts; the copying path of `createRedactor()` is here.
 */
import type { ActivityEntry, FieldChange, WebhookInfo, WebhookMessage } from '../types.js';
import { InPlaceScrubber } from './redactInPlace.js';
import { type RedactionOptions, SecretMatcher } from './redactMatch.js';
import { advance, isTerminal, NO_NODES, type PathNode, PathRules } from './redactPaths.js';

export { DEFAULT_REDACT_KEYS, type RedactionOptions } from './redactMatch.js';

/** Values nested deeper than this are hidden whole rather than walked (validation caps depth far lower). */
const MAX_DEPTH = 64;
const FORM_BODY = /^[^=&\s]+=[^&\s]*(?:&[^=&\s]+=[^&\s]*)*$/;

/** A compiled redactor. Every method returns a copy and never mutates its input. */
export interface Redactor {
  /** A redacted copy of the entry: metadata, webhook headers/bodies/url, error, context, summary, changes. */
  entry(entry: ActivityEntry): ActivityEntry;
  /** A redacted copy of any JSON value; `path` places it under the entry for `paths` matching (`metadata`). */
  value(value: unknown, path?: string): unknown;
  /** The string with secret-looking values replaced. */
  text(text: string): string;
  /** True when values under this key are hidden. */
  isSecretKey(key: string): boolean;
}

/**
 * The recorder's view of a redactor: `scrubEntry` redacts an entry the caller owns (a private,
 * sanitised copy) in place, so the hot path does not copy every entry a second time.
 */
export interface EntryScrubber extends Redactor {
  /** Same result as {@link Redactor.entry}, written into `entry` itself; returns it. */
  scrubEntry(entry: ActivityEntry): ActivityEntry;
  /** {@link EntryScrubber.scrubEntry}, answering whether anything was hidden or rewritten (false: `entry` is as it was). */
  scrubChanged(entry: ActivityEntry): boolean;
}

/**
 * Compiles a redactor. Throws ActivityError `CONFIG` for an empty path or a non-string censor.
 * @example createRedactor({ paths: ['metadata.customer.email'], fields: ['ssn'] }).entry(entry)
 */
export function createRedactor(options: RedactionOptions = {}): Redactor {
  return compileRedactor(options);
}

/** {@link createRedactor} with the in-place entry method the recorder uses. */
export function compileRedactor(options: RedactionOptions = {}): EntryScrubber {
  const matcher = new SecretMatcher(options);
  const copy = new CopyRedactor(matcher, new PathRules(options));
  const inPlace = new InPlaceScrubber(matcher, copy.paths, (input, path) => copy.body(input, path));
  return {
    entry: (input) => copy.entry(input),
    value: (input, path) => copy.value(input, path),
    text: (input) => matcher.text(input),
    isSecretKey: (key) => matcher.isSecretKey(key),
    scrubEntry: inPlace.scrubEntry,
    scrubChanged: inPlace.scrubChanged,
  };
}

/** The copying path: every method returns a copy and never mutates its input. */
class CopyRedactor {
  readonly #m: SecretMatcher;
  readonly paths: PathRules;

  constructor(matcher: SecretMatcher, paths: PathRules) {
    this.#m = matcher;
    this.paths = paths;
  }

  entry(input: ActivityEntry): ActivityEntry {
    const m = this.#m;
    const out: ActivityEntry = { ...input, actor: { ...input.actor } };
    if (input.entity !== undefined) out.entity = { ...input.entity };
    if (input.summary !== undefined) out.summary = m.text(input.summary);
    if (input.metadata !== undefined)
      out.metadata = this.value(input.metadata, 'metadata') as Record<string, unknown>;
    if (input.context !== undefined)
      out.context = this.value(input.context, 'context') as ActivityEntry['context'];
    if (input.error !== undefined) {
      out.error = { ...input.error, message: m.text(input.error.message) };
      if (input.error.stack !== undefined) out.error.stack = m.text(input.error.stack);
    }
    if (input.webhook !== undefined) out.webhook = this.#webhook(input.webhook);
    if (input.retriggerUrl !== undefined) out.retriggerUrl = m.text(input.retriggerUrl);
    if (input.changes !== undefined) out.changes = input.changes.map((change) => this.#change(change));
    if (input.progress !== undefined) out.progress = { ...input.progress };
    return out;
  }

  value(input: unknown, path?: string): unknown {
    const nodes = this.paths.start(path);
    if (isTerminal(nodes)) return this.#m.censor;
    return this.#walk(input, nodes, 0, new Set());
  }

  /** Bodies are often raw JSON or form text: parse, redact structurally, and re-serialise. */
  body(input: unknown, path: string): unknown {
    const nodes = this.paths.start(path);
    if (isTerminal(nodes)) return this.#m.censor;
    if (typeof input !== 'string') return this.#walk(input, nodes, 0, new Set());
    const trimmed = input.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(input);
      } catch {
        return this.#m.text(input);
      }
      return JSON.stringify(this.#walk(parsed, nodes, 0, new Set()));
    }
    if (FORM_BODY.test(input)) return this.#formBody(input, nodes);
    return this.#m.text(input);
  }

  /** Walks a JSON-like value; `nodes` are the path-trie positions matching where the value sits. */
  #walk(value: unknown, nodes: readonly PathNode[], depth: number, seen: Set<object>): unknown {
    const m = this.#m;
    if (typeof value === 'string') return m.text(value);
    if (typeof value !== 'object' || value === null) return value;
    // Redaction must fail closed: anything too deep or circular is hidden rather than walked.
    if (depth > MAX_DEPTH || seen.has(value)) return m.censor;
    seen.add(value);
    try {
      if (Array.isArray(value)) {
        return value.map((item, index) => {
          const next = nodes.length === 0 ? NO_NODES : advance(nodes, String(index));
          return isTerminal(next) ? m.censor : this.#walk(item, next, depth + 1, seen);
        });
      }
      if (value instanceof Date) return value;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const next = advance(nodes, key);
        const item = (value as Record<string, unknown>)[key];
        const hidden = m.isSecretKey(key) || isTerminal(next);
        // defineProperty: a `__proto__` key must stay data, never become the copy's prototype.
        Object.defineProperty(out, key, {
          value: hidden ? m.censor : this.#walk(item, next, depth + 1, seen),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    } finally {
      seen.delete(value);
    }
  }

  #formBody(input: string, nodes: readonly PathNode[]): string {
    const m = this.#m;
    return input
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        const rawKey = pair.slice(0, eq);
        let key = rawKey;
        try {
          key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
        } catch {
          // Malformed escapes: match on the raw key.
        }
        const hidden = m.isSecretKey(key) || isTerminal(advance(nodes, key));
        return hidden ? `${rawKey}=${m.censor}` : `${rawKey}=${m.text(pair.slice(eq + 1))}`;
      })
      .join('&');
  }

  #message(input: WebhookMessage | undefined, path: string): WebhookMessage | undefined {
    if (input === undefined) return undefined;
    const out: WebhookMessage = { ...input };
    if (input.headers !== undefined)
      out.headers = this.value(input.headers, `${path}.headers`) as Record<string, string>;
    if ('body' in input) out.body = this.body(input.body, `${path}.body`);
    return out;
  }

  #webhook(input: WebhookInfo): WebhookInfo {
    const out: WebhookInfo = { ...input };
    if (input.url !== undefined) out.url = this.#m.text(input.url);
    if (input.request !== undefined) out.request = this.#message(input.request, 'webhook.request');
    if (input.response !== undefined) out.response = this.#message(input.response, 'webhook.response');
    return out;
  }

  #change(input: FieldChange): FieldChange {
    const nodes = this.paths.change(input.path, (key) => this.#m.isSecretKey(key));
    if (nodes === undefined) return { path: input.path, kind: input.kind, redacted: true };
    const out: FieldChange = { path: input.path, kind: input.kind };
    if ('before' in input) out.before = this.#walk(input.before, nodes, 0, new Set());
    if ('after' in input) out.after = this.#walk(input.after, nodes, 0, new Set());
    if (input.redacted !== undefined) out.redacted = input.redacted;
    return out;
  }
}
