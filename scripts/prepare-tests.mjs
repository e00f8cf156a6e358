#!/usr/bin/env node
// Brings up what the test suite talks to, on a machine like CI's: Debian's Chromium for the browser
// tests and the local PostgreSQL for the postgres store. Each step is skipped when already satisfied.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';

function sh(cmd) {
  console.log(`> ${cmd}`);
  const r = spawnSync('bash', ['-c', cmd], { stdio: 'inherit' });
  return r.status === 0;
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.end();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  const root = process.getuid?.() === 0 ? '' : 'sudo ';
  sh(`${root}apt-get update -qq && ${root}apt-get install -y -qq chromium fonts-liberation`) ||
    console.warn('! could not install chromium: browser tests will fail');
}

const pgUrl = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pgPort = Number(new URL(pgUrl).port || 5432);
if (!(await portOpen(pgPort)) && existsSync('/etc/postgresql')) {
  const version = readdirSync('/etc/postgresql')[0];
  sh(`pg_ctlcluster --skip-systemctl-redirect ${version} main start`);
  for (let i = 0; i < 30 && !(await portOpen(pgPort)); i++) await new Promise((r) => setTimeout(r, 500));
}
if (await portOpen(pgPort)) {
  // The tests create their own schemas inside the `test` database; create it when missing.
  try {
    execSync(
      `psql "${pgUrl.replace(/\/[^/]*$/, '/postgres')}" -tAc "select 1 from pg_database where datname='test'" | grep -q 1 || psql "${pgUrl.replace(/\/[^/]*$/, '/postgres')}" -c "create database test"`,
      { stdio: 'inherit' },
    );
  } catch {
    console.warn('! could not check the test database');
  }
} else {
  console.warn(`! PostgreSQL is not reachable on port ${pgPort}: postgres store tests will fail`);
}
