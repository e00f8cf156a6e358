// Fails when the package.json exports map and the tsup entries drift apart.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const tsup = readFileSync(new URL('../tsup.config.ts', import.meta.url), 'utf8');
const entries = JSON.parse(tsup.match(/entries = (\[[^\]]*\])/)[1].replaceAll("'", '"'));
const exported = Object.keys(pkg.exports)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? 'index' : k.slice(2)));
const missing = entries.filter((e) => !exported.includes(e));
const extra = exported.filter((e) => !entries.includes(e));
if (missing.length || extra.length) {
  console.error(
    `exports out of sync: not exported ${JSON.stringify(missing)}, no entry for ${JSON.stringify(extra)}`,
  );
  process.exit(1);
}
console.log(`exports in sync: ${entries.join(', ')}`);
