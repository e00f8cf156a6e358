import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  tsconfig: 'tsconfig.build.json',
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['react', 'react-dom', '@tanstack/react-query', '@activity/sdk', /^@activity\/sdk\//],
  banner: { js: "'use client';" },
  onSuccess: 'cp src/styles.css dist/styles.css',
});
