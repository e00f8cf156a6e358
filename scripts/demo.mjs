#!/usr/bin/env node
// `npm run demo` (after bootstrap.mjs installed the workspace): starts examples/wine-club. The server
// seeds ~100k entries on first start (empty database), builds the dashboard when its bundle is
// missing or stale, serves it and prints the URL. Options: --count N (seed volume), --port N,
// --fresh (delete the demo's SQLite file first), --no-simulate. Without --port or PORT it serves on 5173,
// or on a free port when 5173 is taken. Other settings via env (see
// docs/example-tour.md): ACTIVITY_PG_URL / DATABASE_URL, CLICKHOUSE_URL, PORT, SEED_COUNT.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chooseDemoPort } from './demoPort.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const example = join(root, 'examples/wine-club');
const env = { ...process.env };
const args = process.argv.slice(2);

for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  const value = () => {
    const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[++i];
    if (v === undefined || v === '') {
      console.error(`demo: ${arg} needs a value`);
      process.exit(2);
    }
    return v;
  };
  if (arg === '--count' || arg.startsWith('--count=')) env.SEED_COUNT = value();
  else if (arg === '--port' || arg.startsWith('--port=')) env.PORT = value();
  else if (arg === '--no-simulate') env.SIMULATE = '0';
  else if (arg === '--fresh') {
    const db = env.ACTIVITY_DB ?? join(example, 'data/activity.db');
    for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
  } else if (arg !== '--') {
    console.error(`demo: unknown option ${arg} (use --count N, --port N, --fresh, --no-simulate)`);
    process.exit(2);
  }
}

// 5173 when free; when another program holds it, a free port instead of exiting with EADDRINUSE.
const chosen = await chooseDemoPort({ requested: env.PORT, host: env.HOST || '127.0.0.1' });
if (chosen.note) console.log(`demo: ${chosen.note}`);
env.PORT = String(chosen.port);

// tsx runs the TypeScript server directly; its tsconfig maps @activity/* to the package sources, so
// nothing needs building first.
const tsxCli = createRequire(join(root, 'package.json')).resolve('tsx/cli');
const child = spawn(process.execPath, [tsxCli, 'server/main.ts'], { cwd: example, env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
