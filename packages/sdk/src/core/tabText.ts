/**
 * Escaping of a text field for the tab-separated text formats the stores load rows in: PostgreSQL's
 * `COPY … FROM STDIN` (text format) and ClickHouse's `TabSeparated`. Both read a backslash escape for
 * backslash, tab, LF and CR (and `\0` for NUL, which PostgreSQL text refuses either way); nothing else is
 * special, so the JSON documents, full of quotes, travel as they are. Most fields hold none of these, so
 * the field is tested before anything is replaced.
 */

const SPECIAL = /[\\\t\n\r\0]/;
const SPECIALS = /[\\\t\n\r\0]/g;
const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\0': '\\0',
};

/** `value` as a field of a tab-separated line: backslash, tab, LF, CR and NUL escaped with a backslash. */
export function tabTextField(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIALS, (c) => ESCAPES[c] as string) : value;
}
