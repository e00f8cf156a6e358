/**
 * The published `/testing` entry, as a host without msw installs it: the package built with its own tsup
 * config, copied into a fresh `node_modules` outside the workspace with only its dependencies beside it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SDK = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

let host: string;
let installed: string;

/** Runs `code` with node in the host app's folder; NODE_PATH cleared so nothing outside it resolves. */
function runNode(file: string, code: string) {
  writeFileSync(join(host, file), code);
  const env = { ...process.env };
  delete env.NODE_PATH;
  delete env.NODE_OPTIONS;
  return spawnSync(process.execPath, [file], { cwd: host, env, encoding: 'utf8', timeout: 60_000 });
}

/** Every file an entry loads from the package, following relative imports and requires. */
function reachable(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    seen.set(file, text);
    for (const m of text.matchAll(/(?:from\s*|import\s*\(?\s*|require\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      visit(join(dirname(file), m[1] as string));
    }
  };
  visit(entry);
  return seen;
}

const SCRIPT_BODY = `
const store = createMemoryStore();
const entry = {
  id: '0190c1f8-0000-7000-8000-000000000001', orgId: 'org_a', occurredAt: '2026-03-15T12:00:00.000Z',
  recordedAt: '2026-03-15T12:00:00.000Z', schemaVersion: 1, type: 'USER_ACTION', status: 'SUCCESS',
  actor: { kind: 'user', id: 'usr_a', name: 'A' }, action: 'contact.updated', summary: 'updated',
};
const result = await store.append([entry]);
const page = await store.query({ orgId: 'org_a', limit: 10 });
console.log(JSON.stringify({ appended: result, ids: page.entries.map((e) => e.id) }));
`;

beforeAll(() => {
  host = mkdtempSync(join(tmpdir(), 'activity-testing-entry-'));
  installed = join(host, 'node_modules', '@activity', 'sdk');
  mkdirSync(installed, { recursive: true });
  // The package's own build config, written into the host's copy (dist/ of the workspace is left alone).
  execFileSync('pnpm', ['exec', 'tsup', '--out-dir', join(installed, 'dist'), '--no-dts'], {
    cwd: SDK,
    stdio: 'pipe',
  });
  cpSync(join(SDK, 'package.json'), join(installed, 'package.json'));
  // Only the package's dependencies (not its optional peers) are installed beside it.
  for (const name of Object.keys(pkg.dependencies)) {
    const target = join(host, 'node_modules', name);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(realpathSync(join(SDK, 'node_modules', name)), target, 'dir');
  }
}, 120_000);

afterAll(() => {
  if (host) rmSync(host, { recursive: true, force: true });
});

describe('fault 10: the testing entry loads without msw', () => {
  it('has no msw in the host (the control: the msw entry does fail to load)', () => {
    const run = runNode('control.mjs', "await import('@activity/sdk/testing/msw');\n");
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/Cannot find (package|module) 'msw'/);
  });

  it('imports @activity/sdk/testing (ESM) and uses createMemoryStore', () => {
    const run = runNode(
      'esm.mjs',
      `import { createMemoryStore } from '@activity/sdk/testing';\n${SCRIPT_BODY}`,
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { ids: string[] };
    expect(out.ids).toEqual(['0190c1f8-0000-7000-8000-000000000001']);
  });

  it('requires @activity/sdk/testing (CJS) and uses createMemoryStore', () => {
    const run = runNode(
      'cjs.cjs',
      `const { createMemoryStore } = require('@activity/sdk/testing');\n(async () => {${SCRIPT_BODY}})().catch((e) => { console.error(e); process.exit(1); });\n`,
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { ids: string[] };
    expect(out.ids).toEqual(['0190c1f8-0000-7000-8000-000000000001']);
  });

  it.each(['testing.js', 'testing.cjs'])('%s and every chunk it loads name no msw', (file) => {
    const files = reachable(join(installed, 'dist', file));
    expect(files.size).toBeGreaterThan(1);
    for (const [path, text] of files) {
      expect(text, path).not.toMatch(/(?:from\s*|import\s*\(?\s*|require\(\s*)['"]msw(?:\/[^'"]*)?['"]/);
    }
    // The check itself sees msw where it is imported.
    const msw = [...reachable(join(installed, 'dist', 'testing', file.replace('testing', 'msw'))).values()];
    expect(msw.some((t) => /(?:from\s*|require\(\s*)['"]msw['"]/.test(t))).toBe(true);
  });
});
