/** The `activity` command line: commands, options and help, parsed by commander. */
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ActivityError } from '../errors.js';
import { copyStores } from './copy.js';
import { exportEntries } from './exportCommand.js';
import { openStore } from './openStore.js';
import { createProgress } from './progress.js';
import { runRetention } from './retentionCommand.js';
import { collectStats, formatStats } from './stats.js';
import type { OpenedStore } from './storeUrl.js';

const URL_HELP =
  'store URL: sqlite:./file.db, postgres://user@host/db?schema=activity, clickhouse://user:pass@host:8123/db, chdb:[folder] (default: $ACTIVITY_STORE_URL)';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function storeUrl(given: string | undefined): string {
  const url = given ?? process.env.ACTIVITY_STORE_URL;
  if (!url) throw new ActivityError('CONFIG', `no store: give a ${URL_HELP}`, { field: 'url' });
  return url;
}

/** Opens a store, runs `work`, and always closes it. */
async function withStore<T>(url: string | undefined, work: (opened: OpenedStore) => Promise<T>): Promise<T> {
  const opened = await openStore(storeUrl(url));
  try {
    return await work(opened);
  } finally {
    await opened.store.close();
  }
}

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function policyPairs(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pair of values) {
    const at = pair.lastIndexOf('=');
    const days = Number(pair.slice(at + 1));
    if (at < 1 || !Number.isInteger(days) || days < 1) {
      throw new ActivityError('CONFIG', `--policy "${pair}": expected <org>=<days>, e.g. org_1=365`, {
        field: 'policy',
      });
    }
    out[pair.slice(0, at)] = days;
  }
  return out;
}

function addRetention(program: Command): void {
  const retention = program.command('retention').description('retention of old entries');
  retention
    .command('run')
    .description('archive, then purge, entries older than each org’s policy')
    .argument('[store-url]', URL_HELP)
    .option('--dry-run', 'count what would be purged; change nothing', false)
    .option('--keep-days <days>', 'default policy: keep this many days', positiveInt, 730)
    .option('--policy <org=days>', 'one org’s policy (repeatable)', collect, [])
    .option('--legal-hold <org>', 'an org on legal hold: never purged (repeatable)', collect, [])
    .option('--no-archive', 'purge without writing an archive first')
    .option('--archive-dir <dir>', 'archive folder', './activity-archive')
    .option('--json', 'print the report as JSON', false)
    .action(async (url: string | undefined, o) => {
      const result = await withStore(url, ({ store }) =>
        runRetention({
          store,
          keepDays: o.keepDays,
          policies: policyPairs(o.policy),
          legalHolds: o.legalHold,
          archive: o.archive,
          dir: resolve(o.archiveDir),
          dryRun: o.dryRun,
        }),
      );
      if (o.json) return print(JSON.stringify(result, null, 2));
      if (result.dryRun) {
        for (const l of result.orgs) {
          print(
            `${l.orgId}: ${l.legalHold ? 'legal hold, nothing purged' : `would purge ${l.wouldPurge} entries before ${l.cutoff} (${l.keepDays} days)`}`,
          );
        }
        return;
      }
      for (const r of result.report.orgs) {
        print(
          `${r.orgId}: ${r.skipped ? 'legal hold, skipped' : r.error ? `FAILED: ${r.error}` : `archived ${r.archived}, purged ${r.purged} (before ${r.cutoff})`}`,
        );
      }
      print(`total: archived ${result.report.archived}, purged ${result.report.purged}`);
      if (result.report.orgs.some((r) => r.error)) process.exitCode = 1;
    });
}

function addCopy(program: Command): void {
  program
    .command('copy')
    .description('copy every entry from one store to another (resumable, idempotent, counts checked)')
    .argument('<from-url>', 'source store URL')
    .argument('<to-url>', 'target store URL (migrated first)')
    .option('--org <org>', 'copy only this org (repeatable)', collect, [])
    .option('--batch <n>', 'entries per page and per append (≤ 1000)', positiveInt, 1000)
    .option('--checkpoint <file>', 'position file for resuming', '.activity-copy.json')
    .option('--json', 'print the report as JSON', false)
    .action(async (fromUrl: string, toUrl: string, o) => {
      const report = await withStore(fromUrl, (from) =>
        withStore(toUrl, (to) =>
          copyStores({
            from,
            to,
            orgs: o.org,
            batch: o.batch,
            checkpoint: resolve(o.checkpoint),
            progress: createProgress('copy'),
          }),
        ),
      );
      if (o.json) print(JSON.stringify(report, null, 2));
      else {
        if (report.resumed) print('resumed from the checkpoint');
        for (const r of report.orgs) {
          print(
            `${r.orgId}: source ${r.source}, target ${r.target} (inserted ${r.inserted}, already there ${r.duplicates})${r.target < r.source ? '  MISSING' : ''}`,
          );
        }
        print(
          report.ok
            ? `counts match (entries before ${report.until})`
            : 'count check FAILED: run the copy again',
        );
      }
      if (!report.ok) process.exitCode = 1;
    });
}

/**
 * Builds the program; `parseAsync(process.argv)` runs it.
 * @example await createProgram().parseAsync(['node', 'activity', 'stats', 'sqlite:./activity.db'])
 */
export function createProgram(): Command {
  const program = new Command('activity')
    .description(
      'Operate an activity log store: migrate, inspect, apply retention, export, copy between stores.',
    )
    .showHelpAfterError();
  program
    .command('migrate')
    .description('create the tables, or apply pending migrations')
    .argument('[store-url]', URL_HELP)
    .action(async (url?: string) => {
      await withStore(url, (opened) => opened.migrate());
      print(`migrated ${storeUrl(url).replace(/:[^:@/]*@/, ':***@')}`);
    });
  program
    .command('stats')
    .description('entries per org, the newest entry, bytes on disk')
    .argument('[store-url]', URL_HELP)
    .option('--json', 'print JSON', false)
    .action(async (url: string | undefined, o) => {
      const stats = await withStore(url, collectStats);
      print(o.json ? JSON.stringify(stats, null, 2) : formatStats(stats));
    });
  addRetention(program);
  program
    .command('export')
    .description('one org’s entries as CSV (or NDJSON) on stdout or to a file')
    .argument('[store-url]', URL_HELP)
    .requiredOption('--org <org>', 'the org to export')
    .option(
      '--filter <query>',
      'filter as the HTTP API’s query string, e.g. "type=USER_ACTION&status=FAILED&range=30d" (default: everything)',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'ndjson']).default('csv'))
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (url: string | undefined, o) => {
      const out = o.out ? createWriteStream(o.out) : process.stdout;
      const rows = await withStore(url, ({ store }) =>
        exportEntries({
          store,
          orgId: o.org,
          filter: o.filter,
          format: o.format,
          out,
          progress: createProgress('export'),
        }),
      );
      if (o.out) await new Promise<void>((done) => out.end(done));
      process.stderr.write(`exported ${rows} entries\n`);
    });
  addCopy(program);
  return program;
}
