/**
 * Builds the dashboard with Vite when the bundle is missing or older than its sources (the example's
 * web/ folder and the @activity packages it bundles from source). A fresh build takes a few seconds;
 * later starts reuse it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXAMPLE_DIR } from './store.js';

const REPO = resolve(EXAMPLE_DIR, '../..');

function newestMtime(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** True when `outDir/index.html` is older than any source the bundle is made from. */
export function isBuildStale(outDir = join(EXAMPLE_DIR, 'dist')): boolean {
  const index = join(outDir, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const sources = [
    join(EXAMPLE_DIR, 'web'),
    join(REPO, 'packages/react/src'),
    join(REPO, 'packages/sdk/src'),
  ];
  return (
    sources.some((dir) => newestMtime(dir) > built) ||
    statSync(join(EXAMPLE_DIR, 'vite.config.ts')).mtimeMs > built
  );
}

/** Runs `vite build` for the example when needed; resolves with whether it built. */
export async function ensureWebBuild(
  options: {
    outDir?: string | undefined;
    force?: boolean | undefined;
    log?: ((line: string) => void) | undefined;
  } = {},
): Promise<boolean> {
  const outDir = options.outDir ?? join(EXAMPLE_DIR, 'dist');
  if (!options.force && !isBuildStale(outDir)) return false;
  const started = Date.now();
  options.log?.('building the dashboard …');
  const { build } = await import('vite');
  await build({
    configFile: join(EXAMPLE_DIR, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  options.log?.(`built the dashboard in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}
