/**
 * Real-browser plumbing shared by the Chromium test and the UI benchmarks: build the static Storybook
 * when missing, serve it over loopback, and drive Debian's Chromium through playwright-core.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Repository root. */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** Where `storybook build` writes the static site. */
export const STORYBOOK_STATIC = join(ROOT, 'storybook-static');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/**
 * Builds the static Storybook into `storybook-static` unless a build newer than every story and
 * component exists (set ACTIVITY_STORYBOOK_REBUILD=1 to force it).
 */
export function ensureStorybookBuilt(): string {
  const index = join(STORYBOOK_STATIC, 'index.json');
  if (
    process.env.ACTIVITY_STORYBOOK_REBUILD !== '1' &&
    existsSync(index) &&
    !sourcesNewerThan(statSync(index).mtimeMs)
  ) {
    return STORYBOOK_STATIC;
  }
  execFileSync('npx', ['storybook', 'build', '--quiet', '-o', STORYBOOK_STATIC], {
    cwd: ROOT,
    stdio: 'pipe',
    timeout: 170_000,
    // vitest sets NODE_ENV=test, which would give the static build React's development runtime.
    env: { ...process.env, NODE_ENV: 'production', STORYBOOK_DISABLE_TELEMETRY: '1' },
  });
  return STORYBOOK_STATIC;
}

function sourcesNewerThan(ms: number): boolean {
  const dirs = [join(ROOT, 'packages/react/src'), join(ROOT, 'packages/sdk/src'), join(ROOT, '.storybook')];
  const newer = (dir: string): boolean => {
    for (const name of readdirSafe(dir)) {
      const path = join(dir, name);
      const st = statSync(path);
      if (st.isDirectory() ? newer(path) : st.mtimeMs > ms) return true;
    }
    return false;
  };
  return dirs.some(newer);
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A static file server on 127.0.0.1 (a secure context, so msw's service worker registers). */
export async function serveStatic(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const root = resolve(dir);
  const server: Server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(root, pathname === '/' ? 'index.html' : pathname));
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/**
 * Launches Debian's Chromium headless with the flags of /work/shared/toolchain.md. playwright-core gives
 * every launch a fresh temporary profile itself (it refuses an explicit `--user-data-dir`).
 */
export async function launchChromium(): Promise<Browser & { cleanup(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      // Containers give /dev/shm 64 MB; a 100k-row page outgrows it and the renderer crashes.
      '--disable-dev-shm-usage',
    ],
  });
  return Object.assign(browser, {
    async cleanup() {
      await browser.close();
    },
  });
}

/** Story URL options. */
export interface StoryOptions {
  theme?: 'light' | 'dark' | undefined;
}

/** Opens a story in its own iframe page and waits for the msw worker and first render. */
export async function openStory(
  page: Page,
  baseUrl: string,
  id: string,
  options: StoryOptions = {},
): Promise<void> {
  const globals = options.theme ? `&globals=theme:${options.theme}` : '';
  await page.goto(`${baseUrl}/iframe.html?id=${id}&viewMode=story${globals}`, { waitUntil: 'load' });
  await page.waitForSelector('#storybook-root > *', { timeout: 30_000 });
}
