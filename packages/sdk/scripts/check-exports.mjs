// Fails when the package.json exports map and the tsup entries drift apart, or an entry has no source file.
import { existsSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const tsup = readFileSync(new URL('../tsup.config.ts', import.meta.url), 'utf8');
const list = tsup.match(/entries = \[([^\]]*)\]/)?.[1];
if (list === undefined) {
  console.error('tsup.config.ts: no `entries = [...]` list found');
  process.exit(1);
}
// Entries may name a nested source (`testing/msw` is src/testing/msw.ts, exported as `./testing/msw`).
const entries = [...list.matchAll(/'([^']+)'/g)].map((m) => m[1]);
const exported = Object.keys(pkg.exports)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? 'index' : k.slice(2)));
const missing = entries.filter((e) => !exported.includes(e));
const extra = exported.filter((e) => !entries.includes(e));
const noSource = entries.filter((e) => !existsSync(new URL(`../src/${e}.ts`, import.meta.url)));
if (missing.length || extra.length || noSource.length) {
  console.error(
    `exports out of sync: not exported ${JSON.stringify(missing)}, no entry for ${JSON.stringify(extra)}, ` +
      `no source file for ${JSON.stringify(noSource)}`,
  );
  process.exit(1);
}
console.log(`exports in sync: ${entries.join(', ')}`);
