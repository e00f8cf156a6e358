import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

const styles = repo('packages/react/src/styles.css');

/** Until @activity/react ships its stylesheet in this checkout, build without it rather than fail. */
const optionalStyles: Plugin = {
  name: 'wine-club:optional-activity-styles',
  enforce: 'pre',
  resolveId(id) {
    if (id === '@activity/react/styles.css') return existsSync(styles) ? styles : '\0activity-styles.css';
    return null;
  },
  load(id) {
    return id === '\0activity-styles.css' ? '' : null;
  },
};

/**
 * The dashboard bundles @activity/* from their sources (like the root vitest and Storybook configs), so
 * the demo needs no package build. A host app installing the packages needs none of these aliases.
 */
export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  plugins: [optionalStyles, react()],
  resolve: {
    alias: [
      { find: /^@activity\/sdk\/client$/, replacement: repo('packages/sdk/src/client.ts') },
      { find: /^@activity\/react$/, replacement: repo('packages/react/src/index.ts') },
    ],
    dedupe: ['react', 'react-dom', '@tanstack/react-query'],
  },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // `vite` dev server: proxy the APIs to a running `pnpm start` on PORT (default 5173 → use 5174 for vite).
    proxy: { '/api': 'http://127.0.0.1:5173', '/dev': 'http://127.0.0.1:5173' },
  },
});
