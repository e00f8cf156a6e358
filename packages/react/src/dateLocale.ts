/**
 * The locale the components format dates with: a date-fns locale object, described here rather than
 * imported from date-fns, whose CommonJS type declarations do not compile under `moduleResolution:
 * node16`. Any date-fns `Locale` fits it, and it fits date-fns' functions.
 */

// A slot of the locale holding one of date-fns' functions; loose on purpose, so the types fit both ways.
// biome-ignore lint/suspicious/noExplicitAny: matches every date-fns function signature in both directions
type LocaleFn = (...args: any[]) => any;

/**
 * A date-fns locale (`import { fr } from 'date-fns/locale'`).
 * @example <ActivityProvider client={client} locale={fr}>
 */
export interface DateLocale {
  /** BCP 47 code (`fr`, `en-GB`); also used for `Intl` formatting. */
  code: string;
  formatDistance: LocaleFn;
  formatRelative: LocaleFn;
  localize: {
    ordinalNumber: LocaleFn;
    era: LocaleFn;
    quarter: LocaleFn;
    month: LocaleFn;
    day: LocaleFn;
    dayPeriod: LocaleFn;
    preprocessor?: LocaleFn;
  };
  formatLong: { date: LocaleFn; time: LocaleFn; dateTime: LocaleFn };
  match: {
    ordinalNumber: LocaleFn;
    era: LocaleFn;
    quarter: LocaleFn;
    month: LocaleFn;
    day: LocaleFn;
    dayPeriod: LocaleFn;
  };
  /** First day of the week and of the first week of the year. */
  options?: {
    weekStartsOn?: 0 | 1 | 2 | 3 | 4 | 5 | 6;
    firstWeekContainsDate?: 1 | 4;
  };
}
