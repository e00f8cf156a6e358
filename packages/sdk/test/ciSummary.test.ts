/**
 * The closing line of .ci/run (scripts/ci-summary.mjs): fed vitest JSON reports by hand for each case,
 * and a real report from vitest run on files that fail in each way.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  failedFiles: number;
}
interface CiSummary {
  summarize(report: unknown, exitCode?: number): Counts;
  formatSummary(counts: Omit<Counts, 'failedFiles'>): string;
  summaryOfFile(path: string, exitCode?: number): string;
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/ci-summary.mjs');
const LINE = /^\d+ passed, \d+ failed(, \d+ skipped)?$/;
let ci: CiSummary;
let dir: string;

type Status = 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';
const file = (name: string, status: 'passed' | 'failed', tests: Status[], message = '') => ({
  name: `/repo/${name}`,
  status,
  message,
  assertionResults: tests.map((s, i) => ({ title: `t${i}`, status: s, failureMessages: [] })),
});
/** A report in vitest's JSON shape, its totals derived from its files like vitest does. */
function report(files: ReturnType<typeof file>[]) {
  const tests = files.flatMap((f) => f.assertionResults.map((a) => a.status));
  const count = (...s: Status[]) => tests.filter((t) => s.includes(t)).length;
  const failedFiles = files.filter((f) => f.status === 'failed').length;
  return {
    numTotalTestSuites: files.length,
    numPassedTestSuites: files.length - failedFiles,
    numFailedTestSuites: failedFiles,
    numPendingTestSuites: 0,
    numTotalTests: tests.length,
    numPassedTests: count('passed'),
    numFailedTests: count('failed'),
    numPendingTests: count('skipped', 'pending'),
    numTodoTests: count('todo'),
    success: failedFiles === 0,
    testResults: files,
  };
}

beforeAll(async () => {
  ci = (await import(SCRIPT)) as CiSummary;
  dir = mkdtempSync(join(tmpdir(), 'ci-summary-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fault 13: the CI summary counts every failure', () => {
  it('all pass', () => {
    const r = report([
      file('a.test.ts', 'passed', ['passed', 'passed']),
      file('b.test.ts', 'passed', ['passed']),
    ]);
    expect(ci.formatSummary(ci.summarize(r))).toBe('3 passed, 0 failed');
  });

  it('a test fails', () => {
    const r = report([
      file('a.test.ts', 'failed', ['passed', 'failed']),
      file('b.test.ts', 'passed', ['passed']),
    ]);
    expect(ci.formatSummary(ci.summarize(r))).toBe('2 passed, 1 failed');
  });

  it('a file fails to load: no test in it, status failed', () => {
    const r = report([
      file('a.test.ts', 'failed', [], "Cannot find package 'x' imported from a.test.ts"),
      file('b.test.ts', 'passed', ['passed']),
    ]);
    expect(r.numFailedTests).toBe(0);
    expect(ci.summarize(r)).toMatchObject({ failed: 1, failedFiles: 1 });
    expect(ci.formatSummary(ci.summarize(r))).toBe('1 passed, 1 failed');
  });

  it('a beforeAll fails: its tests are reported skipped, the file failed', () => {
    const r = report([
      file('a.test.ts', 'failed', ['skipped', 'skipped']),
      file('b.test.ts', 'passed', ['passed']),
    ]);
    expect(ci.formatSummary(ci.summarize(r))).toBe('1 passed, 1 failed, 2 skipped');
  });

  it('counts a failed file once even beside failed tests elsewhere', () => {
    const r = report([
      file('a.test.ts', 'failed', []),
      file('b.test.ts', 'failed', ['failed', 'failed', 'passed']),
    ]);
    expect(ci.formatSummary(ci.summarize(r))).toBe('1 passed, 3 failed');
  });

  it('todo tests count with the skipped ones', () => {
    const r = report([file('a.test.ts', 'passed', ['passed', 'todo', 'todo', 'skipped'])]);
    expect(ci.formatSummary(ci.summarize(r))).toBe('1 passed, 0 failed, 3 skipped');
  });

  it('a failed run with no failed test or file (an unhandled error) is one failure', () => {
    const r = { ...report([file('a.test.ts', 'passed', ['passed'])]), success: false };
    expect(ci.formatSummary(ci.summarize(r))).toBe('1 passed, 1 failed');
    const ok = report([file('a.test.ts', 'passed', ['passed'])]);
    expect(ci.formatSummary(ci.summarize(ok, 1))).toBe('1 passed, 1 failed');
  });

  it('a missing or broken report is one failure', () => {
    expect(ci.summaryOfFile(join(dir, 'nope.json'))).toBe('0 passed, 1 failed');
    writeFileSync(join(dir, 'broken.json'), '{"numPassedTests": 3,');
    expect(ci.summaryOfFile(join(dir, 'broken.json'))).toBe('0 passed, 1 failed');
  });

  it("counts vitest's own report of a file that does not load, a failing beforeAll and todo tests", () => {
    const project = join(dir, 'project');
    const files: Record<string, string> = {
      'vitest.config.mjs': "export default { test: { include: ['*.test.mjs'] } };\n",
      'ok.test.mjs': "import { it } from 'vitest';\nit('a', () => {});\nit.todo('later');\n",
      'load.test.mjs':
        "import 'no-such-package-anywhere';\nimport { it } from 'vitest';\nit('x', () => {});\n",
      'hook.test.mjs':
        "import { beforeAll, describe, it } from 'vitest';\ndescribe('d', () => {\n  beforeAll(() => { throw new Error('boom'); });\n  it('y', () => {});\n});\n",
    };
    mkdirSync(project);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(project, name), text);
    const out = join(project, 'report.json');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
    const run = spawnSync(
      join(ROOT, 'node_modules/.bin/vitest'),
      ['run', '--root', project, '--reporter=json', `--outputFile.json=${out}`],
      { cwd: project, env, encoding: 'utf8', timeout: 120_000 },
    );
    expect(run.status).not.toBe(0);
    // What the old line said: vitest counts no failed test at all.
    const raw = JSON.parse(readFileSync(out, 'utf8')) as { numFailedTests: number };
    expect(raw.numFailedTests).toBe(0);
    const cli = spawnSync(process.execPath, [SCRIPT, out, String(run.status)], { encoding: 'utf8' });
    expect(cli.stdout).toBe('1 passed, 2 failed, 2 skipped\n');
    expect(cli.stdout.trim()).toMatch(LINE);
  });
});
