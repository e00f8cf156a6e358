/** Contacts list and contact record page. */
import type { ReactNode } from 'react';
import { type Contact, money, useRecord, useRecords } from '../api';
import { Link } from '../router';
import { RecordActivity } from './RecordActivity';

function StatusPill({ status }: { status: string }): ReactNode {
  return <span className={`pill pill-${status.toLowerCase()}`}>{status.replace('_', ' ')}</span>;
}

/** All contacts. */
export function ContactsPage(): ReactNode {
  const contacts = useRecords<Contact>('contacts');
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Contacts</h1>
          <p className="muted">
            {contacts.data ? `${contacts.data.length.toString()} club members and customers` : 'Loading…'}
          </p>
        </div>
      </div>
      <div className="card flush">
        <table className="grid">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Tier</th>
              <th>Tags</th>
              <th>City</th>
              <th className="num">Lifetime value</th>
            </tr>
          </thead>
          <tbody>
            {(contacts.data ?? []).map((c) => (
              <tr key={c.id}>
                <td>
                  <Link href={`/contacts/${c.id}`}>{c.name}</Link>
                  <div className="muted small">{c.email}</div>
                </td>
                <td>
                  <StatusPill status={c.status} />
                </td>
                <td>{c.tier}</td>
                <td>
                  <span className="tags">
                    {c.tags.map((t) => (
                      <span key={t} className="tag">
                        {t}
                      </span>
                    ))}
                  </span>
                </td>
                <td>{c.city}</td>
                <td className="num">{money(c.lifetimeValueCents)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** One contact. */
export function ContactPage({ id }: { id: string }): ReactNode {
  const contact = useRecord<Contact>('contacts', id);
  const c = contact.data;
  if (contact.isError)
    return <div className="card empty">Contact {id} was not found (it may have been deleted).</div>;
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <p className="muted small">
            <Link href="/contacts">Contacts</Link> / {id}
          </p>
          <h1>{c?.name ?? '…'}</h1>
          {c ? (
            <p className="muted">
              {c.tier} member since {c.memberSince} · <StatusPill status={c.status} />
            </p>
          ) : null}
        </div>
      </div>
      {c ? (
        <div className="cols">
          <section className="card">
            <h2>Details</h2>
            <dl className="fields">
              <dt>Email</dt>
              <dd>{c.email}</dd>
              <dt>Phone</dt>
              <dd>{c.phone}</dd>
              <dt>City</dt>
              <dd>{c.city}</dd>
              <dt>Tags</dt>
              <dd>
                <span className="tags">
                  {c.tags.length
                    ? c.tags.map((t) => (
                        <span key={t} className="tag">
                          {t}
                        </span>
                      ))
                    : '—'}
                </span>
              </dd>
              <dt>Lifetime value</dt>
              <dd>{money(c.lifetimeValueCents)}</dd>
            </dl>
          </section>
          <RecordActivity entityType="contact" entityId={c.id} />
        </div>
      ) : null}
    </div>
  );
}
