/**
 * Time to first log, measured: a brand-new app written exactly as docs/getting-started.md says, on the
 * packed packages installed with npm from tarballs (the registry for everything else), started with the
 * doc's own commands and checked in Chromium: the app's own event shows with the catalog's label, and the
 * detail drawer opens. Also counts the app's lines (target ≤ 20) and times install → first event.
 *
 * The doc's ports (3000, 5173) become free ones; nothing else is changed. Everything lands in a temporary
 * folder (the npm cache included). The measured figures go to artifacts/first-log.json; the test checks
 * that docs/benchmarks.md and bench/results.json report the same line count.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium, ROOT } from '../../packages/react/test/browser/harness.js';

const DOC = join(ROOT, 'docs/getting-started.md');
const LINE_TARGET = 20;
/** The files the app's lines are counted in: its code, not the HTML shell or package.json. */
const CODE_FILES = ['server.ts', 'src/main.tsx'];

interface DocApp {
  /** The shell lines to create the app and install with npm, in order. */
  install: string[];
  /** Files by path. */
  files: Map<string, string>;
  /** The run commands (server, page). */
  run: string[];
}

/** Reads the app out of getting-started.md: `<!-- file: x -->` blocks, the npm install and run blocks. */
function readDoc(): DocApp {
  const text = readFileSync(DOC, 'utf8');
  const files = new Map<string, string>();
  for (const m of text.matchAll(/<!-- file: (\S+) -->\n```\w+\n([\s\S]*?)```/g)) {
    files.set(m[1] as string, m[2] as string);
  }
  const shBlocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const lines = (block: string | undefined) =>
    (block ?? '')
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter((l) => l !== '');
  const create = shBlocks.find((b) => b.includes('npm init'));
  const npm = shBlocks.find((b) => b.startsWith('npm install'));
  const run = shBlocks.find((b) => b.includes('npx tsx'));
  return { install: [...lines(create), ...lines(npm)], files, run: lines(run) };
}

/** Lines of code: neither blank nor a whole-line comment. */
function codeLines(source: string): number {
  return source.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('//')).length;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

/**
 * Builds the packages when a fresh checkout has no dist yet (CI builds before the tests). A dist older
 * than its sources is used as is: rebuilding under other tests' feet would empty it while they run.
 */
function ensureBuilt(): void {
  const missing = ['sdk', 'react'].some((p) => !existsSync(join(ROOT, 'packages', p, 'dist', 'index.js')));
  if (missing) execFileSync('pnpm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe', timeout: 300_000 });
}

function pack(pkg: string, into: string): string {
  const out = execFileSync('pnpm', ['pack', '--pack-destination', into], {
    cwd: join(ROOT, 'packages', pkg),
    encoding: 'utf8',
  });
  const tgz = out.trim().split('\n').pop() as string;
  return tgz.startsWith('/') ? tgz : join(into, tgz);
}

async function waitFor(url: string, child: ChildProcess, log: () => string, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null)
      throw new Error(`exited (${child.exitCode}) before ${url} answered:\n${log()}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((ok) => setTimeout(ok, 250));
  }
  throw new Error(`${url} did not answer in ${timeoutMs} ms:\n${log()}`);
}

const work = mkdtempSync(join(tmpdir(), 'first-log-'));
const children: ChildProcess[] = [];
let browser: (Browser & { cleanup(): Promise<void> }) | undefined;

afterAll(async () => {
  await browser?.cleanup();
  for (const child of children) {
    // Each command ran in its own process group (detached): end the group, npx and its child alike.
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  }
  rmSync(work, { recursive: true, force: true });
});

describe('first log — a new app from docs/getting-started.md', () => {
  const doc = readDoc();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    npm_config_cache: join(work, '.npm-cache'),
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
    // better-sqlite3 compiles from source here: use the system's Node headers when they are installed.
    ...(existsSync('/usr/include/node/node.h') ? { npm_config_nodedir: '/usr' } : {}),
    NODE_ENV: 'development',
  };
  let app = '';
  let installStart = 0;
  let appPort = 0;
  let pagePort = 0;

  it('the doc holds the whole app, within 20 lines of code', () => {
    expect([...doc.files.keys()].sort()).toEqual(['index.html', 'server.ts', 'src/main.tsx']);
    expect(doc.install.some((l) => l.startsWith('npm install @activity/sdk @activity/react'))).toBe(true);
    expect(doc.run).toEqual(['npx tsx server.ts', 'npx vite']);
    const lines = CODE_FILES.reduce((n, f) => n + codeLines(doc.files.get(f) ?? ''), 0);
    expect(lines).toBeLessThanOrEqual(LINE_TARGET);
  });

  it('installs from the packed tarballs with npm, starts, and shows its own event with its label', async () => {
    ensureBuilt();
    const packs = join(work, 'packs');
    mkdirSync(packs);
    const tarballs = { '@activity/sdk': pack('sdk', packs), '@activity/react': pack('react', packs) };

    installStart = Date.now();
    // `mkdir my-app && cd my-app` as written: every line runs in one shell, in order.
    const script = doc.install
      .map((line) =>
        line.replace(
          /(^npm install .*?)@activity\/sdk @activity\/react/,
          `$1${tarballs['@activity/sdk']} ${tarballs['@activity/react']}`,
        ),
      )
      .join('\n');
    execFileSync('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: work,
      env,
      stdio: 'pipe',
      timeout: 900_000,
    });
    app = join(work, 'my-app');
    const installSeconds = (Date.now() - installStart) / 1000;

    appPort = await freePort();
    pagePort = await freePort();
    for (const [path, source] of doc.files) {
      const file = join(app, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, source.replaceAll('3000', String(appPort)).replaceAll('5173', String(pagePort)));
    }

    const start = (command: string, extra: string[]) => {
      const [bin, ...args] = command.split(' ');
      let log = '';
      const child = spawn(bin as string, [...args, ...extra], { cwd: app, env, detached: true });
      child.stdout?.on('data', (d) => (log += String(d)));
      child.stderr?.on('data', (d) => (log += String(d)));
      children.push(child);
      return { child, log: () => log };
    };
    const server = start(doc.run[0] as string, []);
    // Vite's own flags for the free port; `localhost` is what the doc's cors origin names.
    const page = start(doc.run[1] as string, ['--port', String(pagePort), '--strictPort']);
    await waitFor(`http://localhost:${appPort}/api/activity/health`, server.child, server.log);
    await waitFor(`http://localhost:${pagePort}/`, page.child, page.log);

    browser = await launchChromium();
    const tab = await browser.newPage();
    const consoleErrors: string[] = [];
    tab.on('pageerror', (e) => consoleErrors.push(String(e)));
    await tab.goto(`http://localhost:${pagePort}/`);
    const row = tab.getByRole('row').filter({ hasText: 'Invoice sent' }).first();
    await row.waitFor({ timeout: 60_000 });
    const firstLogSeconds = (Date.now() - installStart) / 1000;
    // The catalog's label, not the raw action code.
    expect(await tab.getByRole('grid').textContent()).not.toContain('invoice.sent');

    await row.click();
    const drawer = tab.getByRole('dialog');
    await drawer.waitFor({ timeout: 15_000 });
    expect(await drawer.textContent()).toContain('Invoice sent');
    expect(consoleErrors).toEqual([]);
    // The SQLite file and its folder were created by the store itself.
    expect(existsSync(join(app, 'data', 'activity.db'))).toBe(true);

    const lines = CODE_FILES.reduce((n, f) => n + codeLines(doc.files.get(f) ?? ''), 0);
    mkdirSync(join(ROOT, 'artifacts'), { recursive: true });
    writeFileSync(
      join(ROOT, 'artifacts', 'first-log.json'),
      `${JSON.stringify({ 'first-log-app-lines': lines, 'first-log-seconds': firstLogSeconds, installSeconds }, null, 2)}\n`,
    );
    console.log(
      `first-log-app-lines ${lines}, first-log-seconds ${firstLogSeconds.toFixed(1)} (install ${installSeconds.toFixed(1)} s)`,
    );
  }, 1_000_000);

  it('docs/benchmarks.md and bench/results.json report the line count the doc has', () => {
    const lines = CODE_FILES.reduce((n, f) => n + codeLines(doc.files.get(f) ?? ''), 0);
    const results = JSON.parse(readFileSync(join(ROOT, 'bench/results.json'), 'utf8')) as Array<{
      name: string;
      value: number;
    }>;
    expect(results.find((r) => r.name === 'first-log-app-lines')?.value).toBe(lines);
    expect(results.some((r) => r.name === 'first-log-seconds')).toBe(true);
    const md = readFileSync(join(ROOT, 'docs/benchmarks.md'), 'utf8');
    expect(md).toMatch(new RegExp(`\\| \`first-log-app-lines\` \\| ${lines} \\|`));
    expect(md).toMatch(/\| `first-log-seconds` \| [\d.]+ \|/);
  });
});
