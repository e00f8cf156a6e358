/**
 * Redaction applied to every entry before it is queued: secret-looking keys, configured paths and
 * secret-looking values inside strings. Matchers are compiled once per redactor (this is on the hot path).
 */
import { ActivityError } from '../errors.js';
import type { ActivityEntry, FieldChange, WebhookInfo, WebhookMessage } from '../types.js';

/**
 * Keys whose values are always hidden. Strings match the whole key, RegExps match anywhere; both are
 * compared case-insensitively against the key with `-`, `_`, `.` and spaces removed (`X-Api-Key` → `xapikey`).
 */
export const DEFAULT_REDACT_KEYS: readonly (string | RegExp)[] = Object.freeze([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'passwd',
  'pwd',
  'ssn',
  'social_security_number',
  'pan',
  'cvv',
  'cvv2',
  'cvc',
  'cvc2',
  'card_number',
  'cc_number',
  'pin_code',
  'otp',
  'iban',
  // Short names, matched only as a whole key (`zipcode`, `postcode`, `keyboard` stay visible).
  'auth',
  'xauth',
  'key',
  'sig',
  'signature',
  'code',
  'session',
  'sessionid',
  'sid',
  'dsn',
  /password|passphrase/,
  /secret/,
  /token/,
  /apikey|accesskey/,
  /privatekey/,
  /credential/,
  /signature/,
  /sessionid|sessionkey/,
  /cardnumber|creditcard/,
]);

/** Options of {@link createRedactor}. */
export interface RedactionOptions {
  /** Extra secret keys, added to {@link DEFAULT_REDACT_KEYS} (same matching rules; RegExps also see the raw key). */
  keys?: (string | RegExp)[] | undefined;
  /**
   * Exact dotted paths under the entry to hide, `*` matching one segment:
   * `metadata.customer.email`, `webhook.*.body.card`, `context.ip`. Paths starting with `changes.` are
   * field paths of diffs, like {@link RedactionOptions.fields}.
   */
  paths?: string[] | undefined;
  /**
   * Dotted field paths of diffs (as in `FieldChange.path`, `*` allowed), e.g. `contact.ssn`. A change at
   * or under such a path becomes "changed, hidden"; a change above it has that member hidden in its values.
   */
  fields?: string[] | undefined;
  /** Use only `keys`, not the defaults. @default false */
  replaceDefaultKeys?: boolean | undefined;
  /** What replaces a hidden value. @default '[REDACTED]' */
  censor?: string | undefined;
  /**
   * Extra value patterns hidden inside every string. Defaults (always on unless `replaceDefaultPatterns`):
   * Luhn-valid card numbers, `Bearer`/`Basic` credentials, Stripe secret keys, JWTs, URL userinfo and
   * `secret_key=value` pairs.
   */
  patterns?: RegExp[] | undefined;
  /** Use only `patterns`, not the default value patterns. @default false */
  replaceDefaultPatterns?: boolean | undefined;
}

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

/** A node of the compiled path trie; `star` is the `*` child. */
interface PathNode {
  children: Map<string, PathNode>;
  star: PathNode | undefined;
  terminal: boolean;
}

const NO_NODES: readonly PathNode[] = Object.freeze([]);
/** Values nested deeper than this are hidden whole rather than walked (validation caps depth far lower). */
const MAX_DEPTH = 64;
const KEY_CACHE_LIMIT = 4096;

function newNode(): PathNode {
  return { children: new Map(), star: undefined, terminal: false };
}

function addPath(root: PathNode, path: string): void {
  if (path.trim() === '') {
    throw new ActivityError('CONFIG', 'redaction paths must be non-empty dotted paths', { field: 'paths' });
  }
  let node = root;
  for (const segment of path.split('.')) {
    if (segment === '*') {
      node.star ??= newNode();
      node = node.star;
    } else {
      let child = node.children.get(segment);
      if (child === undefined) {
        child = newNode();
        node.children.set(segment, child);
      }
      node = child;
    }
  }
  node.terminal = true;
}

function advance(nodes: readonly PathNode[], key: string): readonly PathNode[] {
  if (nodes.length === 0) return NO_NODES;
  const next: PathNode[] = [];
  for (const node of nodes) {
    const child = node.children.get(key);
    if (child !== undefined) next.push(child);
    if (node.star !== undefined) next.push(node.star);
  }
  return next.length === 0 ? NO_NODES : next;
}

function isTerminal(nodes: readonly PathNode[]): boolean {
  for (const node of nodes) if (node.terminal) return true;
  return false;
}

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_.\s]/g, '');
}

/** The host's own string keys, normalised. */
function hostKeys(keys: RedactionOptions['keys']): Set<string> {
  const out = new Set<string>();
  for (const key of keys ?? []) if (typeof key === 'string') out.add(normalizeKey(key));
  return out;
}

function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Default keys that are also everyday words in prose (`error code: E42`, `press any key: …`): in free
 * text they hide a value only after `=` (query strings, form bodies, `k=v` log lines), never after `:`.
 * As structured keys (JSON, headers, form fields) they are always hidden.
 */
const WORD_KEYS: ReadonlySet<string> = new Set(['auth', 'key', 'sig', 'code', 'session', 'sid', 'dsn']);

/**
 * The default value patterns in one alternation, so each string is scanned once.
 * Groups: 1 URL credentials prefix, 2 card number, 3 auth scheme.
 *
 * Every branch must stay linear on hostile text: the engine tries each branch at every position, so a
 * branch may only start where its anchor is (`://`, a digit after a boundary, a literal word), never
 * inside a run its own quantifier would scan again. Two branches once restarted at each word boundary
 * of a long run (`a.a.a.…://`, `eyJ-eyJ-…`): quadratic, seconds for 32 KB.
 */
const DEFAULT_VALUE_PATTERN = new RegExp(
  [
    // userinfo@ inside URLs: `postgres://app:hunter2@db` keeps the user and hides the password,
    // `https://key@sentry.io` (a DSN: the user is the secret) hides the user. The match starts at `://`
    // itself, the scheme only looked behind at, so a long run of scheme characters is never rescanned.
    String.raw`(?<=[a-z0-9+.-])(:\/\/(?:[^\s/:@]+:)?)[^\s/@]+(?=@)`,
    // Card numbers, 13–19 digits with optional space/dash separators; Luhn-checked in the callback.
    String.raw`\b(\d(?:[ -]?\d){12,18})\b`,
    // Authorization credentials in text ("Bearer eyJ…", "Basic dXNlcjpw…").
    String.raw`\b(Bearer|Basic|Digest)\s+[A-Za-z0-9\-._~+/]+=*`,
    // Stripe secret/restricted keys and webhook signing secrets.
    String.raw`\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}`,
    String.raw`\bwhsec_[A-Za-z0-9+/=]{8,}`,
    // JWTs: a base64url header starting with {" then payload and signature. Only where a base64url run
    // starts (not at each `-` inside one), and the header bounded; the payload and signature are
    // bounded by the longest string validation lets through, so a JWT with large claims is still hidden.
    String.raw`(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,4096}\.[A-Za-z0-9_-]{5,32768}\.[A-Za-z0-9_-]{0,32768}`,
  ].join('|'),
  'gi',
);

/**
 * Something every match of {@link DEFAULT_VALUE_PATTERN} contains (its literal anchors). Testing it
 * first costs a fraction of the replace, and most strings (ids, enums, prose) fail it.
 */
const MAY_HOLD_DEFAULT_SECRET =
  /:\/\/|\d(?:[ -]?\d){12}|[sr]k_(?:live|test)_|whsec_|eyj|\b(?:bearer|basic|digest)\s/i;

/**
 * key=value / key: value pairs (query strings, form bodies, log lines), hidden only for secret keys.
 * Scanned in a second pass, and a harmless key does not consume its value, so a secret key or pattern
 * inside that value (`next=/cb?token=…`) is still found. Groups: 1 key, 2 separator.
 */
const KEY_SEPARATOR = /\b([A-Za-z][\w.-]{0,63})(["']?\s*[=:]\s*["']?)/g;
/**
 * The value after a secret key: an optional auth scheme, then up to a delimiter. Closing brackets end it
 * too (`(token=abc)` in stacks), at the cost of leaving the tail of a password that contains one.
 */
function secretValuePattern(censor: string): RegExp {
  // A censor from the first pass (`dsn=https://[REDACTED]@host`) is consumed whole wherever it sits in
  // the value, so its brackets neither end the value early nor leave a stray `]`. Nothing follows the
  // repetition, so its first (greedy) try always succeeds: no backtracking.
  const escaped = censor.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const censored = escaped === '' ? '' : `${escaped}|`;
  return new RegExp(String.raw`(?:(?:Bearer|Basic|Digest|Token)\s+)?(?:${censored}[^\s&"',;)\]}>])+`, 'y');
}

const FORM_BODY = /^[^=&\s]+=[^&\s]*(?:&[^=&\s]+=[^&\s]*)*$/;

/**
 * Compiles a redactor. Throws ActivityError `CONFIG` for an empty path or a non-string censor.
 * @example createRedactor({ paths: ['metadata.customer.email'], fields: ['ssn'] }).entry(entry)
 */
export function createRedactor(options: RedactionOptions = {}): Redactor {
  return compileRedactor(options);
}

/** {@link createRedactor} with the in-place entry method the recorder uses. */
export function compileRedactor(options: RedactionOptions = {}): EntryScrubber {
  const censor = options.censor ?? '[REDACTED]';
  if (typeof censor !== 'string') {
    throw new ActivityError('CONFIG', 'censor must be a string', { field: 'censor' });
  }
  const keyList = [...(options.replaceDefaultKeys ? [] : DEFAULT_REDACT_KEYS), ...(options.keys ?? [])];
  const exactKeys = new Set<string>();
  const keyPatterns: RegExp[] = [];
  for (const key of keyList) {
    if (typeof key === 'string') exactKeys.add(normalizeKey(key));
    else {
      // Stateless (no g/y, whose lastIndex would make test() alternate) and case-insensitive.
      const flags = key.flags.replace(/[gyi]/g, '');
      keyPatterns.push(new RegExp(key.source, `${flags}i`));
    }
  }
  const keyCache = new Map<string, boolean>();
  const secretValue = secretValuePattern(censor);
  // A word key the host lists itself is meant everywhere, prose included.
  const listed = hostKeys(options.keys);
  const wordKeys = new Set(
    options.replaceDefaultKeys ? [] : [...WORD_KEYS].filter((key) => !listed.has(key)),
  );

  function isSecretKey(key: string): boolean {
    const cached = keyCache.get(key);
    if (cached !== undefined) return cached;
    const normalized = normalizeKey(key);
    // `X-Auth`, `X-Session`: the `x-` of custom headers does not make a secret name harmless.
    let secret =
      exactKeys.has(normalized) ||
      (normalized.length > 1 && /^x-/i.test(key) && exactKeys.has(normalized.slice(1)));
    for (let i = 0; !secret && i < keyPatterns.length; i++) {
      const pattern = keyPatterns[i] as RegExp;
      secret = pattern.test(normalized) || pattern.test(key);
    }
    // Keys repeat endlessly on the hot path; a bounded cache keeps lookups O(1) without growing forever.
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(key, secret);
    return secret;
  }

  const entryRoot = newNode();
  const fieldRoot = newNode();
  for (const path of options.paths ?? []) {
    if (path.startsWith('changes.')) addPath(fieldRoot, path.slice('changes.'.length));
    else addPath(entryRoot, path);
  }
  for (const path of options.fields ?? []) addPath(fieldRoot, path);

  const extraPatterns = (options.patterns ?? []).map(
    (pattern) =>
      new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`),
  );
  const useDefaultPatterns = !options.replaceDefaultPatterns;

  function replaceDefault(match: string, ...groups: (string | undefined)[]): string {
    const [urlPrefix, card, scheme] = groups;
    if (urlPrefix !== undefined) return `${urlPrefix}${censor}`;
    if (card !== undefined) {
      const digits = card.replace(/[ -]/g, '');
      return digits.length >= 13 && digits.length <= 19 && luhn(digits) ? censor : match;
    }
    if (scheme !== undefined) return `${scheme} ${censor}`;
    return censor;
  }

  /** True for a key that is a secret only as a whole key or after `=` (see {@link WORD_KEYS}). */
  function isWordKey(key: string): boolean {
    const normalized = normalizeKey(key);
    return wordKeys.has(normalized) || (/^x-/i.test(key) && wordKeys.has(normalized.slice(1)));
  }

  function hideKeyValues(input: string): string {
    let out = '';
    let copied = 0;
    // Shared module regexes are safe: this loop is synchronous and never re-entered.
    const keys = KEY_SEPARATOR;
    const values = secretValue;
    keys.lastIndex = 0;
    for (let match = keys.exec(input); match !== null; match = keys.exec(input)) {
      if (!isSecretKey(match[1] as string)) continue;
      if (wordKeys.size > 0 && !(match[2] as string).includes('=') && isWordKey(match[1] as string)) continue;
      values.lastIndex = keys.lastIndex;
      const value = values.exec(input);
      if (value === null) continue;
      out += `${input.slice(copied, keys.lastIndex)}${censor}`;
      copied = values.lastIndex;
      keys.lastIndex = values.lastIndex;
    }
    return copied === 0 ? input : out + input.slice(copied);
  }

  function text(value: string): string {
    let out = value;
    if (useDefaultPatterns) {
      if (MAY_HOLD_DEFAULT_SECRET.test(out)) out = out.replace(DEFAULT_VALUE_PATTERN, replaceDefault);
      if (out.includes('=') || out.includes(':')) out = hideKeyValues(out);
    }
    for (const pattern of extraPatterns) out = out.replace(pattern, censor);
    return out;
  }

  /** Walks a JSON-like value; `nodes` are the path-trie positions matching where the value sits. */
  function walk(value: unknown, nodes: readonly PathNode[], depth: number, seen: Set<object>): unknown {
    if (typeof value === 'string') return text(value);
    if (typeof value !== 'object' || value === null) return value;
    // Redaction must fail closed: anything too deep or circular is hidden rather than walked.
    if (depth > MAX_DEPTH || seen.has(value)) return censor;
    seen.add(value);
    try {
      if (Array.isArray(value)) {
        return value.map((item, index) => {
          const next = nodes.length === 0 ? NO_NODES : advance(nodes, String(index));
          return isTerminal(next) ? censor : walk(item, next, depth + 1, seen);
        });
      }
      if (value instanceof Date) return value;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const next = advance(nodes, key);
        const item = (value as Record<string, unknown>)[key];
        const hidden = isSecretKey(key) || isTerminal(next);
        // defineProperty: a `__proto__` key must stay data, never become the copy's prototype.
        Object.defineProperty(out, key, {
          value: hidden ? censor : walk(item, next, depth + 1, seen),
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

  /**
   * Set by the in-place scrub when it hides or rewrites anything: an untouched entry can keep the JSON
   * text it was parsed from instead of being serialised again.
   */
  let dirty = false;

  function scrubText(value: string): string {
    const out = text(value);
    if (out !== value) dirty = true;
    return out;
  }

  function hide(): string {
    dirty = true;
    return censor;
  }

  /**
   * `walk` for sanitised JSON the caller owns (no cycles, no `__proto__` keys, depth already capped):
   * rewrites containers in place and returns the value to store in their parent.
   */
  function scrub(value: unknown, nodes: readonly PathNode[]): unknown {
    if (typeof value === 'string') return scrubText(value);
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const next = nodes.length === 0 ? NO_NODES : advance(nodes, String(i));
        value[i] = isTerminal(next) ? hide() : scrub(value[i], next);
      }
      return value;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const next = nodes.length === 0 ? NO_NODES : advance(nodes, key);
      record[key] = isSecretKey(key) || isTerminal(next) ? hide() : scrub(record[key], next);
    }
    return record;
  }

  function scrubAt(input: unknown, path: string): unknown {
    const nodes = startNodes(entryRoot, path);
    return isTerminal(nodes) ? hide() : scrub(input, nodes);
  }

  function scrubMessage(input: WebhookMessage, path: string): void {
    if (input.headers !== undefined) {
      input.headers = scrubAt(input.headers, `${path}.headers`) as Record<string, string>;
    }
    if ('body' in input) {
      if (typeof input.body === 'string') {
        const out = body(input.body, `${path}.body`);
        if (out !== input.body) dirty = true;
        input.body = out;
      } else input.body = scrubAt(input.body, `${path}.body`);
    }
  }

  /** `change` in place; a hidden change becomes a new object without its values. */
  function scrubChange(input: FieldChange): FieldChange {
    const nodes = changeNodes(input.path);
    if (nodes === undefined) {
      dirty = true;
      return { path: input.path, kind: input.kind, redacted: true };
    }
    if ('before' in input) input.before = scrub(input.before, nodes);
    if ('after' in input) input.after = scrub(input.after, nodes);
    return input;
  }

  function scrubEntry(input: ActivityEntry): ActivityEntry {
    if (input.summary !== undefined) input.summary = scrubText(input.summary);
    if (input.metadata !== undefined) {
      input.metadata = scrubAt(input.metadata, 'metadata') as Record<string, unknown>;
    }
    if (input.context !== undefined) {
      input.context = scrubAt(input.context, 'context') as ActivityEntry['context'];
    }
    if (input.error !== undefined) {
      input.error.message = scrubText(input.error.message);
      if (input.error.stack !== undefined) input.error.stack = scrubText(input.error.stack);
    }
    const hook = input.webhook;
    if (hook !== undefined) {
      if (hook.url !== undefined) hook.url = scrubText(hook.url);
      if (hook.request !== undefined) scrubMessage(hook.request, 'webhook.request');
      if (hook.response !== undefined) scrubMessage(hook.response, 'webhook.response');
    }
    if (input.retriggerUrl !== undefined) input.retriggerUrl = scrubText(input.retriggerUrl);
    if (input.changes !== undefined) input.changes = input.changes.map(scrubChange);
    return input;
  }

  function scrubChanged(input: ActivityEntry): boolean {
    dirty = false;
    scrubEntry(input);
    return dirty;
  }

  // Start positions repeat (`metadata`, `webhook.request.headers` …): computed once per path.
  const startCache = new Map<string, readonly PathNode[]>();

  function startNodes(root: PathNode, path: string | undefined): readonly PathNode[] {
    let nodes: readonly PathNode[] = [root];
    if (path === undefined || path === '') return nodes;
    const key = root === entryRoot ? path : `changes.${path}`;
    const cached = startCache.get(key);
    if (cached !== undefined) return cached;
    for (const segment of path.split('.')) nodes = advance(nodes, segment);
    if (startCache.size >= KEY_CACHE_LIMIT) startCache.clear();
    startCache.set(key, nodes);
    return nodes;
  }

  function value(input: unknown, path?: string): unknown {
    const nodes = startNodes(entryRoot, path);
    if (isTerminal(nodes)) return censor;
    return walk(input, nodes, 0, new Set());
  }

  /** Bodies are often raw JSON or form text: parse, redact structurally, and re-serialise. */
  function body(input: unknown, path: string): unknown {
    const nodes = startNodes(entryRoot, path);
    if (isTerminal(nodes)) return censor;
    if (typeof input !== 'string') return walk(input, nodes, 0, new Set());
    const trimmed = input.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(input);
      } catch {
        return text(input);
      }
      return JSON.stringify(walk(parsed, nodes, 0, new Set()));
    }
    if (FORM_BODY.test(input)) return formBody(input, nodes);
    return text(input);
  }

  function formBody(input: string, nodes: readonly PathNode[]): string {
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
        const hidden = isSecretKey(key) || isTerminal(advance(nodes, key));
        return hidden ? `${rawKey}=${censor}` : `${rawKey}=${text(pair.slice(eq + 1))}`;
      })
      .join('&');
  }

  function message(input: WebhookMessage | undefined, path: string): WebhookMessage | undefined {
    if (input === undefined) return undefined;
    const out: WebhookMessage = { ...input };
    if (input.headers !== undefined)
      out.headers = value(input.headers, `${path}.headers`) as Record<string, string>;
    if ('body' in input) out.body = body(input.body, `${path}.body`);
    return out;
  }

  function webhook(input: WebhookInfo): WebhookInfo {
    const out: WebhookInfo = { ...input };
    if (input.url !== undefined) out.url = text(input.url);
    if (input.request !== undefined) out.request = message(input.request, 'webhook.request');
    if (input.response !== undefined) out.response = message(input.response, 'webhook.response');
    return out;
  }

  /** The trie positions of a diff's field path, or undefined when the change is hidden. */
  function changeNodes(path: string): readonly PathNode[] | undefined {
    let nodes: readonly PathNode[] = [fieldRoot];
    for (const segment of path.split('.')) {
      nodes = advance(nodes, segment);
      if (isSecretKey(segment) || isTerminal(nodes)) return undefined;
    }
    return nodes;
  }

  function change(input: FieldChange): FieldChange {
    const nodes = changeNodes(input.path);
    if (nodes === undefined) return { path: input.path, kind: input.kind, redacted: true };
    const out: FieldChange = { path: input.path, kind: input.kind };
    if ('before' in input) out.before = walk(input.before, nodes, 0, new Set());
    if ('after' in input) out.after = walk(input.after, nodes, 0, new Set());
    if (input.redacted !== undefined) out.redacted = input.redacted;
    return out;
  }

  function entry(input: ActivityEntry): ActivityEntry {
    const out: ActivityEntry = { ...input, actor: { ...input.actor } };
    if (input.entity !== undefined) out.entity = { ...input.entity };
    if (input.summary !== undefined) out.summary = text(input.summary);
    if (input.metadata !== undefined)
      out.metadata = value(input.metadata, 'metadata') as Record<string, unknown>;
    if (input.context !== undefined)
      out.context = value(input.context, 'context') as ActivityEntry['context'];
    if (input.error !== undefined) {
      out.error = { ...input.error, message: text(input.error.message) };
      if (input.error.stack !== undefined) out.error.stack = text(input.error.stack);
    }
    if (input.webhook !== undefined) out.webhook = webhook(input.webhook);
    if (input.retriggerUrl !== undefined) out.retriggerUrl = text(input.retriggerUrl);
    if (input.changes !== undefined) out.changes = input.changes.map(change);
    if (input.progress !== undefined) out.progress = { ...input.progress };
    return out;
  }

  return { entry, value, text, isSecretKey, scrubEntry, scrubChanged };
}
