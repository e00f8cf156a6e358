/**
 * What counts as a secret: key names (the defaults, the host's keys and patterns) and values inside
 * strings (card numbers, credentials, tokens, URL userinfo, `secret_key=value` pairs). Compiled once per
 * redactor; this runs on the hot path.
 */
import { ActivityError } from '../errors.js';

/** Bound of the per-redactor caches of key decisions and path positions. */
export const KEY_CACHE_LIMIT = 4096;

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

export function normalizeKey(key: string): string {
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

/** A redactor's compiled key and value rules. */
export class SecretMatcher {
  readonly censor: string;
  readonly #exactKeys = new Set<string>();
  readonly #keyPatterns: RegExp[] = [];
  readonly #keyCache = new Map<string, boolean>();
  readonly #secretValue: RegExp;
  readonly #wordKeys: Set<string>;
  readonly #extraPatterns: RegExp[];
  readonly #useDefaultPatterns: boolean;

  /** Throws ActivityError `CONFIG` for a non-string censor. */
  constructor(options: RedactionOptions) {
    const censor = options.censor ?? '[REDACTED]';
    if (typeof censor !== 'string') {
      throw new ActivityError('CONFIG', 'censor must be a string', { field: 'censor' });
    }
    this.censor = censor;
    const keyList = [...(options.replaceDefaultKeys ? [] : DEFAULT_REDACT_KEYS), ...(options.keys ?? [])];
    for (const key of keyList) {
      if (typeof key === 'string') this.#exactKeys.add(normalizeKey(key));
      else {
        // Stateless (no g/y, whose lastIndex would make test() alternate) and case-insensitive.
        const flags = key.flags.replace(/[gyi]/g, '');
        this.#keyPatterns.push(new RegExp(key.source, `${flags}i`));
      }
    }
    this.#secretValue = secretValuePattern(censor);
    // A word key the host lists itself is meant everywhere, prose included.
    const listed = hostKeys(options.keys);
    this.#wordKeys = new Set(
      options.replaceDefaultKeys ? [] : [...WORD_KEYS].filter((key) => !listed.has(key)),
    );
    this.#extraPatterns = (options.patterns ?? []).map(
      (pattern) =>
        new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`),
    );
    this.#useDefaultPatterns = !options.replaceDefaultPatterns;
  }

  /** True when values under this key are hidden. */
  isSecretKey(key: string): boolean {
    const cached = this.#keyCache.get(key);
    if (cached !== undefined) return cached;
    const normalized = normalizeKey(key);
    // `X-Auth`, `X-Session`: the `x-` of custom headers does not make a secret name harmless.
    let secret =
      this.#exactKeys.has(normalized) ||
      (normalized.length > 1 && /^x-/i.test(key) && this.#exactKeys.has(normalized.slice(1)));
    for (let i = 0; !secret && i < this.#keyPatterns.length; i++) {
      const pattern = this.#keyPatterns[i] as RegExp;
      secret = pattern.test(normalized) || pattern.test(key);
    }
    // Keys repeat endlessly on the hot path; a bounded cache keeps lookups O(1) without growing forever.
    if (this.#keyCache.size >= KEY_CACHE_LIMIT) this.#keyCache.clear();
    this.#keyCache.set(key, secret);
    return secret;
  }

  /** The string with secret-looking values replaced. */
  text(value: string): string {
    let out = value;
    if (this.#useDefaultPatterns) {
      if (MAY_HOLD_DEFAULT_SECRET.test(out)) out = out.replace(DEFAULT_VALUE_PATTERN, this.#replaceDefault);
      if (out.includes('=') || out.includes(':')) out = this.#hideKeyValues(out);
    }
    for (const pattern of this.#extraPatterns) out = out.replace(pattern, this.censor);
    return out;
  }

  readonly #replaceDefault = (match: string, ...groups: (string | undefined)[]): string => {
    const [urlPrefix, card, scheme] = groups;
    if (urlPrefix !== undefined) return `${urlPrefix}${this.censor}`;
    if (card !== undefined) {
      const digits = card.replace(/[ -]/g, '');
      return digits.length >= 13 && digits.length <= 19 && luhn(digits) ? this.censor : match;
    }
    if (scheme !== undefined) return `${scheme} ${this.censor}`;
    return this.censor;
  };

  /** True for a key that is a secret only as a whole key or after `=` (see {@link WORD_KEYS}). */
  #isWordKey(key: string): boolean {
    const normalized = normalizeKey(key);
    return this.#wordKeys.has(normalized) || (/^x-/i.test(key) && this.#wordKeys.has(normalized.slice(1)));
  }

  #hideKeyValues(input: string): string {
    let out = '';
    let copied = 0;
    // Shared module regexes are safe: this loop is synchronous and never re-entered.
    const keys = KEY_SEPARATOR;
    const values = this.#secretValue;
    keys.lastIndex = 0;
    for (let match = keys.exec(input); match !== null; match = keys.exec(input)) {
      if (!this.isSecretKey(match[1] as string)) continue;
      if (
        this.#wordKeys.size > 0 &&
        !(match[2] as string).includes('=') &&
        this.#isWordKey(match[1] as string)
      )
        continue;
      values.lastIndex = keys.lastIndex;
      const value = values.exec(input);
      if (value === null) continue;
      out += `${input.slice(copied, keys.lastIndex)}${this.censor}`;
      copied = values.lastIndex;
      keys.lastIndex = values.lastIndex;
    }
    return copied === 0 ? input : out + input.slice(copied);
  }
}
