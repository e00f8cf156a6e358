/**
 * A PostgreSQL server of the test's own, which it may stop and start without touching the shared one:
 * a temp data directory, a Unix socket only (no TCP port, so nothing else can answer at its address
 * while it is stopped). Needs `initdb` and `pg_ctl` (PostgreSQL 15 on Debian by default); as root they
 * run as the `postgres` user.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = process.env.ACTIVITY_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A running private server. */
export interface PrivatePostgres {
  /** Connection string over the Unix socket. */
  readonly url: string;
  /** Stops the server (`-m fast`: sessions are ended, as in a restart or failover). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

async function asPostgres(file: string, args: string[]): Promise<void> {
  const root = process.getuid?.() === 0;
  if (root) await run('runuser', ['-u', 'postgres', '--', file, ...args]);
  else await run(file, args);
}

/** Creates and starts a private server on a temp directory. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  if (!existsSync(join(BIN, 'initdb')) || !existsSync(join(BIN, 'pg_ctl'))) {
    throw new Error(`initdb and pg_ctl not found in ${BIN}: install PostgreSQL or set ACTIVITY_PG_BIN`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'activity-pg-'));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  const port = 5433;
  await asPostgres(join(BIN, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const options = `-c listen_addresses='' -c unix_socket_directories='${dir}' -p ${port} -c fsync=off`;
  let running = false;
  const start = async () => {
    await asPostgres(join(BIN, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
    running = true;
  };
  const stop = async () => {
    await asPostgres(join(BIN, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
    running = false;
  };
  await start();
  return {
    url: `postgres://postgres@/postgres?host=${encodeURIComponent(dir)}&port=${port}`,
    start,
    stop,
    async destroy() {
      if (running) await stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
