/**
 * fast-check arbitraries shared by the store tests: text built from the characters that wire formats
 * treat specially (COPY's text format and ClickHouse's TabSeparated escape backslash, tab, LF and CR and
 * read `\N` as NULL; `\.` ends COPY data; CSV quotes on `"` and `,`), plus NUL, a lone surrogate, a quote
 * for SQL literals, and non-ASCII.
 */
import fc from 'fast-check';

/** Text of the units above, up to `maxLength` of them. */
export function wireText(maxLength: number): fc.Arbitrary<string> {
  return fc.string({
    unit: fc.constantFrom(
      'a',
      '\\',
      '\t',
      '\n',
      '\r',
      '\\N',
      '\\.',
      '.',
      '"',
      "'",
      ',',
      '\u0000',
      '\ud800',
      'é',
      '😀',
      ' ',
    ),
    maxLength,
  });
}
