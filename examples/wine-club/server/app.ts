/**
 * The wine club's HTTP server: the activity handler under /api/activity, small JSON APIs for the host's
 * records, the dev inbox and the built dashboard. This is the part of the example a host app copies.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import {
  type Activity,
  type ActivityStore,
  catalogLabels,
  createActivity,
  type WineClubCatalog,
  wineClubCatalog,
} from '@activity/sdk';
import { type ActivityHandler, createActivityHandler, toNodeHandler } from '@activity/sdk/server';
import { createHostData, findById, type HostData, ORG_ID, TEAM } from './data.js';
import { type JobSimulation, processReleasePayments, syncSquareStock } from './jobs.js';
import { createOutbox, type Outbox } from './outbox.js';
import { authorize, sessionCookie, sessionMember } from './session.js';
import { type Simulator, startSimulator } from './simulator.js';
import { EXAMPLE_DIR } from './store.js';

/** Options of {@link startWineClub}. */
export interface WineClubOptions {
  store: ActivityStore;
  /** Port to listen on; 0 picks a free one. @default 5173 */
  port?: number | undefined;
  /** Host to bind. @default '127.0.0.1' */
  host?: string | undefined;
  /** Folder of the built dashboard. @default examples/wine-club/dist */
  webDir?: string | undefined;
  /** Folder the dev mail transport writes to. @default examples/wine-club/outbox */
  outboxDir?: string | undefined;
  /** Folder for async export files. @default examples/wine-club/data/exports */
  exportDir?: string | undefined;
  /** Row count above which exports run in the background and are emailed. @default 5000 */
  asyncExportThreshold?: number | undefined;
  /** Secret signing export links and cursors. @default a fixed development secret */
  secret?: string | undefined;
  /** Run the live-activity simulator; `false` turns it off (tests). @default {} */
  simulator?:
    | false
    | { tickMs?: number; jobEveryTicks?: number; jobDurationMs?: number; jobFailureRate?: number }
    | undefined;
  /** How long a retried job runs, and how often it fails again. @default { durationMs: 8000, failureRate: 0.15 } */
  retryJobs?: Partial<Pick<JobSimulation, 'durationMs' | 'failureRate'>> | undefined;
  /** Logs one line per problem. @default console.error */
  log?: ((message: string) => void) | undefined;
}

/** A running example server. */
export interface WineClub {
  /** `http://host:port`. */
  url: string;
  server: Server;
  activity: Activity<WineClubCatalog>;
  handler: ActivityHandler;
  data: HostData;
  outbox: Outbox;
  /** Stops the simulator and retries, flushes the recorder and closes the server (not the store). */
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** Labels for actions the fixture generator records beyond the wine-club catalog. */
// Webhook actions are labelled per provider event in the catalog; the fixtures' FedEx action needs its own.
const EXTRA_ACTIONS: Record<string, string> = {
  'fedex.tracking_updated': 'Tracking updated',
};

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(JSON.stringify(body));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0).toString()};`);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
}

function inboxPage(messages: Awaited<ReturnType<Outbox['list']>>): string {
  const rows = messages
    .map(
      (m) => `<li class="msg">
  <div class="meta"><strong>${escapeHtml(m.subject)}</strong><time>${escapeHtml(new Date(m.sentAt).toLocaleString('en-US'))}</time></div>
  <div class="to">To: ${escapeHtml(m.to)}</div>
  <p>${escapeHtml(m.text).replace(/\n/g, '<br>')}</p>
  ${m.link ? `<a class="cta" href="${escapeHtml(m.link)}">Download CSV</a>` : ''}
</li>`,
    )
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dev inbox · Cellar Door</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;margin:0;background:#f6f5f3;color:#1d1b1a}
header{background:#2b1320;color:#fff;padding:16px 32px;display:flex;gap:16px;align-items:baseline}
header a{color:#f3d9e4} main{max-width:760px;margin:24px auto;padding:0 16px}
ul{list-style:none;padding:0;margin:0;display:grid;gap:12px}
.msg{background:#fff;border:1px solid #e5e1dc;border-radius:10px;padding:16px 20px}
.meta{display:flex;justify-content:space-between;gap:12px} time,.to{color:#6b6460;font-size:13px}
.cta{display:inline-block;background:#7a1f45;color:#fff;text-decoration:none;padding:6px 14px;border-radius:6px}
.empty{color:#6b6460;text-align:center;padding:48px 0}
</style></head><body>
<header><strong>Dev inbox</strong><span>Mail the demo would have sent (files in examples/wine-club/outbox/)</span><a href="/activity">← Back to the dashboard</a></header>
<main>${messages.length ? `<ul>${rows}</ul>` : '<p class="empty">No mail yet. Export a large range (e.g. "Everything retained") from the Activity page.</p>'}</main>
</body></html>`;
}

/** Starts the server; resolves once it listens. */
export async function startWineClub(options: WineClubOptions): Promise<WineClub> {
  const { store } = options;
  const log = options.log ?? ((message: string) => console.error(message));
  const webDir = resolve(options.webDir ?? join(EXAMPLE_DIR, 'dist'));
  const outbox = createOutbox(options.outboxDir ?? join(EXAMPLE_DIR, 'outbox'));
  const data = createHostData();
  const controller = new AbortController();
  const retrySim: JobSimulation = {
    durationMs: options.retryJobs?.durationMs ?? 8000,
    failureRate: options.retryJobs?.failureRate ?? 0.15,
    signal: controller.signal,
  };

  const activity = createActivity({
    store,
    catalog: wineClubCatalog,
    defaultOrgId: ORG_ID,
    onError: (error) => log(`activity: ${error.code} ${error.message}`),
  });

  const labels = catalogLabels(wineClubCatalog);
  Object.assign(labels.actions, EXTRA_ACTIONS);

  const handler = createActivityHandler({
    store,
    activity,
    authorize,
    basePath: '/api/activity',
    catalog: labels,
    retainedSince: () => new Date(Date.now() - 730 * 86_400_000).toISOString(),
    retry: {
      jobs: {
        SYNC_SQUARE_STOCK: async ({ entry, run, signal }) => ({
          ...(await syncSquareStock(run, data, { ...retrySim, signal: signal ?? controller.signal })),
          locationId: entry.metadata?.locationId ?? 'L8X2QW9RZ1',
          trigger: 'retry',
        }),
        PROCESS_RELEASE_PAYMENTS: async ({ entry, run, signal }) => {
          const release = findById(data.releases, entry.entity?.id ?? '');
          const result = await processReleasePayments(run, release?.members ?? 200, {
            ...retrySim,
            signal: signal ?? controller.signal,
          });
          return { ...result, trigger: 'retry' };
        },
      },
      providers: {
        // Re-processing a stored Stripe event: the handler is idempotent on the event id.
        stripe: async ({ entry, run }) => {
          run.progress(1, 1);
          return { redeliveredEvent: entry.webhook?.eventId ?? null };
        },
      },
      retriggerUrl: (entry) =>
        entry.action === 'SYNC_WOO_PRODUCTS' ? '/settings/integrations/woocommerce' : undefined,
    },
    exports: {
      secret: options.secret ?? 'wine-club-demo-secret-change-me',
      dir: options.exportDir ?? join(EXAMPLE_DIR, 'data/exports'),
      asyncThreshold: options.asyncExportThreshold ?? 5000,
      notify: async (notice) => {
        const member = TEAM.find((m) => m.id === notice.userId);
        await outbox.send({
          to: member ? `${member.name} <${member.email}>` : notice.userId,
          subject: `Your activity export is ready (${notice.rows.toLocaleString('en-US')} rows)`,
          text: `The CSV export you started is ready. The link works while you are signed in and expires ${new Date(notice.expiresAt).toUTCString()}.`,
          link: notice.url,
        });
      },
    },
  });
  const activityRoute = toNodeHandler(handler);

  const serveStatic = async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
    const file = normalize(join(webDir, decodeURIComponent(pathname)));
    // Never serve outside the build folder, whatever the path says.
    const safe = file.startsWith(webDir + sep) ? file : join(webDir, 'index.html');
    let target = safe;
    let info = await stat(target).catch(() => undefined);
    if (!info?.isFile()) {
      // Client-side routes (/contacts/ct_1000) get the app shell.
      target = join(webDir, 'index.html');
      info = await stat(target).catch(() => undefined);
    }
    if (!info?.isFile()) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(
        'The dashboard is not built yet: run `pnpm --filter wine-club build` (the demo does it for you).',
      );
      return;
    }
    const hashed = target.includes(`${sep}assets${sep}`);
    res.writeHead(200, {
      'content-type': MIME[extname(target)] ?? 'application/octet-stream',
      'content-length': info.size.toString(),
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(target).pipe(res);
  };

  const hostApi = async (req: IncomingMessage, res: ServerResponse, parts: string[]): Promise<boolean> => {
    const [, , collection, id] = parts;
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (collection === 'session') {
      if (req.method === 'POST') {
        const body = (await readBody(req)) as { memberId?: unknown } | undefined;
        const member = TEAM.find((m) => m.id === body?.memberId);
        if (!member) {
          sendJson(res, 400, {
            error: { code: 'INVALID_INPUT', field: 'memberId', message: 'memberId: not a team member' },
          });
          return true;
        }
        sendJson(res, 200, { member }, { 'set-cookie': sessionCookie(member.id) });
        return true;
      }
      sendJson(res, 200, {
        member: sessionMember({ get: (n) => (req.headers[n] as string | undefined) ?? null }),
        team: TEAM,
        orgId: ORG_ID,
      });
      return true;
    }
    if (!get) return false;
    const lists: Record<string, { id: string }[]> = {
      contacts: data.contacts,
      releases: data.releases,
      products: data.products,
      team: data.team,
    };
    const list = collection === undefined ? undefined : lists[collection];
    if (!list) return false;
    if (id === undefined) {
      sendJson(res, 200, { items: list });
      return true;
    }
    const item = findById(list, decodeURIComponent(id));
    if (item) sendJson(res, 200, item);
    else sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `${collection} ${id} not found` } });
    return true;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean);
    void (async () => {
      try {
        if (parts[0] === 'api' && parts[1] === 'activity') {
          await activityRoute(req, res);
          return;
        }
        if (parts[0] === 'api') {
          if (!(await hostApi(req, res, ['', ...parts]))) {
            sendJson(res, 404, {
              error: { code: 'NOT_FOUND', message: `no route ${req.method ?? ''} ${url.pathname}` },
            });
          }
          return;
        }
        if (url.pathname === '/dev/inbox') {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
          res.end(inboxPage(await outbox.list()));
          return;
        }
        if (url.pathname === '/dev/inbox.json') {
          sendJson(res, 200, { messages: await outbox.list() });
          return;
        }
        await serveStatic(req, res, url.pathname);
      } catch (error) {
        log(
          `server: ${req.method ?? ''} ${url.pathname}: ${error instanceof Error ? error.message : String(error)}`,
        );
        if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
        else res.destroy();
      }
    })();
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 5173, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;

  let simulator: Simulator | undefined;
  if (options.simulator !== false) {
    simulator = startSimulator({
      activity,
      store,
      data,
      ...options.simulator,
      onError: (error) => log(`simulator: ${error instanceof Error ? error.message : String(error)}`),
    });
  }

  return {
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${port.toString()}`,
    server,
    activity,
    handler,
    data,
    outbox,
    async close() {
      controller.abort(new Error('server stopped'));
      await simulator?.stop();
      await handler.close();
      await activity.shutdown();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
