import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CSS = readFileSync(join(__dirname, '../src/styles.css'), 'utf8');

interface Declared {
  selector: string;
  /** Enclosing at-rules, e.g. `@media (prefers-color-scheme: dark)`. */
  within: string;
  name: string;
  value: string;
}

/** Every declaration of the stylesheet, parsed by jsdom's CSS parser (nested in @media/@layer too). */
function declarations(css: string): Declared[] {
  const style = document.createElement('style');
  style.textContent = css;
  document.head.appendChild(style);
  const sheet = style.sheet;
  style.remove();
  if (!sheet) throw new Error('jsdom did not parse the stylesheet');
  const out: Declared[] = [];
  const walk = (rules: CSSRuleList, within: string) => {
    for (const rule of Array.from(rules)) {
      if ('selectorText' in rule && 'style' in rule) {
        const r = rule as CSSStyleRule;
        for (let i = 0; i < r.style.length; i++) {
          const name = r.style.item(i);
          out.push({ selector: r.selectorText, within, name, value: r.style.getPropertyValue(name) });
        }
      } else if ('cssRules' in rule) {
        const head = rule.cssText.slice(0, rule.cssText.indexOf('{')).trim();
        walk((rule as CSSGroupingRule).cssRules, `${within} ${head}`.trim());
      }
    }
  };
  walk(sheet.cssRules, '');
  return out;
}

const all = declarations(CSS);

describe('styles.css theming', () => {
  it('parses into rules (the checks below see real declarations)', () => {
    expect(all.length).toBeGreaterThan(500);
    expect(all.some((d) => d.name === '--_activity-accent')).toBe(true);
  });

  it('never declares a public --activity-* variable, so the host’s :root or ancestor value is inherited', () => {
    // Any declaration of --activity-x on a component element would beat the value it inherits from :root.
    const offending = all
      .filter((d) => d.name.startsWith('--activity-'))
      .map((d) => `${d.within} ${d.selector} { ${d.name} }`.trim());
    expect(offending).toEqual([]);
  });

  it('reads every public variable with its private default as the fallback', () => {
    const reads = all.flatMap((d) => [...d.value.matchAll(/var\(\s*(--activity-[a-z0-9-]+)\s*([,)])/g)]);
    expect(reads.length).toBeGreaterThan(100);
    const bare = new Set<string>();
    for (const d of all) {
      for (const m of d.value.matchAll(
        /var\(\s*--activity-([a-z0-9-]+)\s*(,\s*var\(\s*--_activity-([a-z0-9-]+))?/g,
      )) {
        if (m[3] !== m[1]) bare.add(`${d.selector} { ${d.name}: ${d.value} }`);
      }
    }
    expect([...bare]).toEqual([]);
  });

  it('declares the private defaults only on .activity-theme, with a dark value for every colour', () => {
    const privateDecls = all.filter((d) => d.name.startsWith('--_activity-'));
    expect(
      privateDecls.filter((d) => !d.selector.includes('.activity-theme')).map((d) => d.selector),
    ).toEqual([]);
    const light = new Set(
      privateDecls.filter((d) => d.selector === '.activity-theme' && d.within === '').map((d) => d.name),
    );
    const forcedDark = new Set(
      privateDecls
        .filter(
          (d) => d.selector.includes("[data-theme='dark']") || d.selector.includes('[data-theme="dark"]'),
        )
        .map((d) => d.name),
    );
    const osDark = new Set(
      privateDecls.filter((d) => d.within.includes('prefers-color-scheme: dark')).map((d) => d.name),
    );
    // Every variable read has a light default, and each dark set overrides the same names.
    const read = new Set(
      all.flatMap((d) =>
        [...d.value.matchAll(/var\(\s*(--_activity-[a-z0-9-]+)/g)].map((m) => m[1] as string),
      ),
    );
    expect([...read].filter((name) => !light.has(name))).toEqual([]);
    expect(forcedDark.size).toBeGreaterThan(20);
    expect([...forcedDark].sort()).toEqual([...osDark].sort());
    expect([...forcedDark].filter((name) => !light.has(name))).toEqual([]);
  });
});

describe('styles.css layout', () => {
  it('bounds the table height without .activity-theme too (else every one of 100k rows renders)', () => {
    const scroll = all.find((d) => d.selector === '.activity-table-scroll' && d.name === 'height');
    expect(scroll?.value).toMatch(/var\(--_activity-table-height,\s*\d+px\)/);
  });

  it('ellipsises the relative time on the <time> itself (a flex item, which the cell cannot clip)', () => {
    const time = all.filter((d) => d.selector === '.activity-time' && d.within === '');
    expect(Object.fromEntries(time.map((d) => [d.name, d.value]))).toMatchObject({
      'text-overflow': 'ellipsis',
      overflow: 'hidden',
      'white-space': 'nowrap',
    });
  });

  it('keeps the look of the type and status pills, which are the table’s cells themselves', () => {
    // Regression: flattening the rows once dropped the base .activity-type rule (the pill showed as plain text).
    expect(CSS).toMatch(
      /\n\.activity-type \{[^}]*font-family: var\(--activity-font-mono[^}]*border: 1px solid/,
    );
    expect(CSS).toMatch(/\n\.activity-badge \{[^}]*border: 1px solid;[^}]*border-radius: 11px/);
    // The status icon is the pill's background image, one per status, coloured per theme.
    for (const [status, icon] of [
      ['success', 'success'],
      ['in-progress', 'progress'],
      ['warning', 'warning'],
      ['failed', 'failed'],
    ]) {
      const rule = new RegExp(
        `\\.activity-badge\\[data-icon\\]\\[data-status='${status}'\\] \\{\\s*background-image: var\\(--activity-icon-${icon}, var\\(--_activity-icon-${icon}\\)\\);`,
      );
      expect(CSS, status).toMatch(rule);
    }
  });

  it('switches to the compact time and fixed columns by the table’s width (a container query)', () => {
    expect(CSS).toMatch(/\.activity-table \{[^}]*container: activity-table \/ inline-size/);
    const narrow = CSS.slice(CSS.indexOf('@container activity-table'));
    expect(narrow).toMatch(/content: attr\(data-short\)/);
    expect(narrow).toMatch(/\.activity-cell-status \.activity-progress \{[^}]*position: absolute/);
  });
});
