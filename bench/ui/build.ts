/** Builds what the UI benchmarks measure: the bench page (bench/ui/page) and @activity/react's own bundle. */
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { build, type Rollup } from 'vite';
import { ROOT } from '../../packages/react/test/browser/harness.js';

const sdk = (p: string) => join(ROOT, 'packages/sdk/src', p);
const alias = [
  { find: /^@activity\/sdk$/, replacement: sdk('index.ts') },
  { find: /^@activity\/sdk\/(client|server|sqlite|postgres|clickhouse|testing)$/, replacement: sdk('$1.ts') },
  { find: /^@activity\/react$/, replacement: join(ROOT, 'packages/react/src/index.ts') },
  // The bare list uses the very copy of react-virtual that @activity/react depends on.
  {
    find: /^@tanstack\/react-virtual$/,
    replacement: realpathSync(join(ROOT, 'packages/react/node_modules/@tanstack/react-virtual')),
  },
];

/** Peers and shared dependencies: never counted as @activity/react's own code. */
const EXTERNAL = /^(react|react-dom|@tanstack\/|radix-ui|@radix-ui\/|date-fns|@activity\/sdk)(\/.*)?$/;

/** Gzipped size of the package's own JS (and, separately, its CSS), built like a host bundler would. */
export async function bundleSize(): Promise<{ jsKb: number; cssKb: number; rawKb: number }> {
  const out = (await build({
    configFile: false,
    logLevel: 'silent',
    root: ROOT,
    build: {
      write: false,
      minify: true,
      sourcemap: false,
      lib: { entry: join(ROOT, 'packages/react/src/index.ts'), formats: ['es'], fileName: 'index' },
      // Some imports reach `external` already resolved to a path: anything from node_modules is not own code.
      rolldownOptions: { external: (id: string) => EXTERNAL.test(id) || id.includes('/node_modules/') },
    },
  })) as Rollup.RollupOutput | Rollup.RollupOutput[];
  const outputs = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output);
  let js = 0;
  let raw = 0;
  let css = 0;
  for (const file of outputs) {
    const code =
      file.type === 'chunk'
        ? file.code
        : typeof file.source === 'string'
          ? file.source
          : Buffer.from(file.source);
    const bytes = gzipSync(code, { level: 9 }).length;
    if (file.fileName.endsWith('.js')) {
      js += bytes;
      raw += Buffer.byteLength(code);
    } else if (file.fileName.endsWith('.css')) css += bytes;
  }
  return { jsKb: js / 1024, cssKb: css / 1024, rawKb: raw / 1024 };
}

/**
 * Builds bench/ui/page (production React) into a temp dir and returns it. `minify: false` keeps function
 * names readable in a trace's CPU profile.
 */
export async function buildBenchPage({ minify = true }: { minify?: boolean } = {}): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'activity-ui-bench-'));
  await build({
    configFile: false,
    logLevel: 'silent',
    root: fileURLToPath(new URL('./page/', import.meta.url)),
    plugins: [react()],
    resolve: { alias },
    build: { outDir, emptyOutDir: true, minify },
  });
  return outDir;
}
