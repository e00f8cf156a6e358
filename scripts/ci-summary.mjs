#!/usr/bin/env node
// The closing line of .ci/run, `N passed, N failed[, N skipped]`, from vitest's JSON report.
// A test file that fails to load, or whose beforeAll/afterAll throws, has no failed test in it (its tests
// are missing or "skipped"), so vitest's numFailedTests alone would say 0 failed: each such file counts as
// one failure here. Todo tests are counted with the skipped ones.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Counts of a vitest JSON report.
 * @param report the parsed `--reporter=json` output
 * @param exitCode the test command's exit code: a failed run with nothing counted as failed counts as 1
 */
export function summarize(report, exitCode = 0) {
  const files = Array.isArray(report?.testResults) ? report.testResults : [];
  const failedFiles = files.filter(
    (file) =>
      file?.status === 'failed' && !(file.assertionResults ?? []).some((test) => test?.status === 'failed'),
  ).length;
  const passed = num(report?.numPassedTests);
  const skipped = num(report?.numPendingTests) + num(report?.numTodoTests);
  let failed = num(report?.numFailedTests) + failedFiles;
  // Errors outside any test (unhandled rejections, a crashed worker) fail the run without a failed test.
  if (failed === 0 && (report?.success === false || exitCode !== 0)) failed = 1;
  return { passed, failed, skipped, failedFiles };
}

/** The line itself: `N passed, N failed`, then `, N skipped` when any were skipped or todo. */
export function formatSummary({ passed, failed, skipped }) {
  return `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
}

/** The line for a report file; a missing or unreadable report is one failure. */
export function summaryOfFile(path, exitCode = 0) {
  let report;
  try {
    report = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return formatSummary({ passed: 0, failed: 1, skipped: 0 });
  }
  return formatSummary(summarize(report, exitCode));
}

function num(value) {
  return Number.isFinite(value) ? value : 0;
}

// `node scripts/ci-summary.mjs [report.json] [exit code]`
if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  const path = process.argv[2] ?? '.reports/vitest.json';
  console.log(summaryOfFile(path, Number(process.argv[3] ?? 0) || 0));
}
