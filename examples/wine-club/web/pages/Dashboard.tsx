/** The landing page: a few numbers, the next release, and what needs attention in the log. */
import { useActivityFacets } from '@activity/react';
import type { ReactNode } from 'react';
import { type Contact, money, type Release, useRecords } from '../api';
import { Link } from '../router';

function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }): ReactNode {
  return (
    <div className="card stat">
      <div className="muted small">{label}</div>
      <div className="stat-value">{value}</div>
      {hint ? <div className="muted small">{hint}</div> : null}
    </div>
  );
}

/** Dashboard. */
export function DashboardPage(): ReactNode {
  const contacts = useRecords<Contact>('contacts');
  const releases = useRecords<Release>('releases');
  const failures = useActivityFacets({ statuses: ['FAILED', 'WARNING'], range: '24h' });
  const all = useActivityFacets({ range: '24h' });
  const active = contacts.data?.filter((c) => c.status === 'ACTIVE').length;
  const next = releases.data
    ?.filter((r) => r.status === 'PENDING' || r.status === 'DRAFT')
    .sort((a, b) => a.shipDate.localeCompare(b.shipDate))[0];
  const failed = failures.data?.statuses.find((s) => s.value === 'FAILED')?.count ?? 0;
  const warnings = failures.data?.statuses.find((s) => s.value === 'WARNING')?.count ?? 0;
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Good day, team</h1>
          <p className="muted">Here is what happened at Cellar Door in the last 24 hours.</p>
        </div>
      </div>
      <div className="stats">
        <Stat
          label="Active members"
          value={active ?? '…'}
          hint={`${(contacts.data?.length ?? 0).toString()} contacts in total`}
        />
        <Stat
          label="Next release"
          value={next ? <Link href={`/releases/${next.id}`}>{next.name}</Link> : '…'}
          hint={
            next
              ? `${next.status} · ships ${next.shipDate} · ${money(next.priceCents * next.members)} expected`
              : undefined
          }
        />
        <Stat
          label="Events in 24 h"
          value={all.data?.total.toLocaleString('en-US') ?? '…'}
          hint="user actions, jobs, webhooks, system"
        />
        <Stat
          label="Needs attention"
          value={<Link href="/activity?status=FAILED&status=WARNING">{(failed + warnings).toString()}</Link>}
          hint={`${failed.toString()} failed · ${warnings.toString()} warnings`}
        />
      </div>
      <section className="card">
        <div className="card-head">
          <h2>Investigate a failure</h2>
          <Link href="/activity?type=BACKGROUND_JOB&status=FAILED">Failed background jobs →</Link>
        </div>
        <p className="muted">
          Open Activity, filter Type to BACKGROUND_JOB and Status to FAILED, open the entry to read the error
          and stack trace, and press Retry. The new run is linked to the original.
        </p>
      </section>
    </div>
  );
}
