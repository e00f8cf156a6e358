/**
 * Arrows only downward: production code under packages/sdk/src never imports from the testing entry
 * (`src/testing/`). Shared semantics (what a filter matches, how entries sort) live in src, and the
 * testing helpers build on them, never the reverse.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
const TESTING = join(SRC, 'testing');

function* productionFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== TESTING) yield* productionFiles(path);
    } else if (/\.tsx?$/.test(entry.name) && !/\.test(-d)?\.tsx?$/.test(entry.name)) {
      // src/testing.ts is the testing entry itself.
      if (path !== `${TESTING}.ts`) yield path;
    }
  }
}

/** Every module specifier of static imports, re-exports and dynamic imports. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
  ];
  for (const pattern of patterns)
    for (const match of source.matchAll(pattern)) found.push(match[1] as string);
  return found;
}

function intoTesting(file: string, specifier: string): boolean {
  if (/^@activity\/sdk\/testing(\/|$)/.test(specifier)) return true;
  if (!specifier.startsWith('.')) return false;
  const target = resolve(dirname(file), specifier);
  return target === TESTING || target.startsWith(TESTING + sep);
}

describe('layering', () => {
  it('finds the production files it checks', () => {
    const files = [...productionFiles(SRC)];
    expect(files.length).toBeGreaterThan(50);
    expect(files.some((f) => f.endsWith(join('server', 'archive.ts')))).toBe(true);
  });

  it('no production file under src imports from testing/', () => {
    const offenders: string[] = [];
    for (const file of productionFiles(SRC)) {
      for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
        if (intoTesting(file, specifier)) offenders.push(`${relative(SRC, file)} → ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('catches an import into testing/ (the check itself can fail)', () => {
    const file = join(SRC, 'server', 'archive.ts');
    const imports = specifiers(
      'import { matchesFilter } from \'../testing/memoryStore.js\';\nexport * from "../core/x.js";',
    );
    expect(imports.filter((s) => intoTesting(file, s))).toEqual(['../testing/memoryStore.js']);
    expect(intoTesting(file, '@activity/sdk/testing')).toBe(true);
    expect(intoTesting(file, '../core/storeQuery.js')).toBe(false);
  });
});
