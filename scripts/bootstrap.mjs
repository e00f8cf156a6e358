#!/usr/bin/env node
// The README's two commands (`npm run demo`, `npm test`) start here: they make sure the pinned pnpm
// is present, install the workspace, then run the demo or the whole test suite.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
const env = { ...process.env };
// better-sqlite3 compiles from source where its prebuilt binary cannot be fetched; point node-gyp at
// the local Node headers when this machine has them (pnpm ignores nodedir in .npmrc).
if (!env.npm_config_nodedir && existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...options });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function pnpmVersion() {
  try {
    return execFileSync('pnpm', ['--version'], { env, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

if (pnpmVersion() !== pinned) {
  console.log(`> installing pnpm@${pinned}`);
  run('npm', ['install', '-g', `pnpm@${pinned}`, '--no-fund', '--no-audit']);
}

const frozen = env.CI ? ['--frozen-lockfile'] : [];
run('pnpm', ['install', ...frozen]);

const task = process.argv[2];
if (task === 'test') {
  mkdirSync(join(root, '.reports'), { recursive: true });
  run('pnpm', ['run', 'test:prepare']);
  run('pnpm', [
    'exec',
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    '--outputFile.json=.reports/vitest.json',
    ...process.argv.slice(3),
  ]);
} else if (task === 'demo') {
  run('node', ['scripts/demo.mjs', ...process.argv.slice(3)]);
} else {
  console.error('usage: node scripts/bootstrap.mjs test|demo');
  process.exit(2);
}
