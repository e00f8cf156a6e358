/** Releases list and release record page. */
import type { ReactNode } from 'react';
import { money, type Product, type Release, useRecord, useRecords } from '../api';
import { Link } from '../router';
import { RecordActivity } from './RecordActivity';

/** All releases. */
export function ReleasesPage(): ReactNode {
  const releases = useRecords<Release>('releases');
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Releases</h1>
          <p className="muted">Club shipments: promote to PENDING, process payments, ship.</p>
        </div>
      </div>
      <div className="card flush">
        <table className="grid">
          <thead>
            <tr>
              <th>Release</th>
              <th>Status</th>
              <th>Ships</th>
              <th className="num">Members</th>
              <th className="num">Price</th>
            </tr>
          </thead>
          <tbody>
            {(releases.data ?? []).map((r) => (
              <tr key={r.id}>
                <td>
                  <Link href={`/releases/${r.id}`}>{r.name}</Link>
                </td>
                <td>
                  <span className={`pill pill-${r.status.toLowerCase()}`}>{r.status}</span>
                </td>
                <td>{r.shipDate}</td>
                <td className="num">{r.members}</td>
                <td className="num">{money(r.priceCents)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** One release. */
export function ReleasePage({ id }: { id: string }): ReactNode {
  const release = useRecord<Release>('releases', id);
  const products = useRecords<Product>('products');
  const r = release.data;
  if (release.isError) return <div className="card empty">Release {id} was not found.</div>;
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <p className="muted small">
            <Link href="/releases">Releases</Link> / {id}
          </p>
          <h1>{r?.name ?? '…'}</h1>
          {r ? (
            <p className="muted">
              <span className={`pill pill-${r.status.toLowerCase()}`}>{r.status}</span> · ships {r.shipDate} ·{' '}
              {r.members} members
            </p>
          ) : null}
        </div>
      </div>
      {r ? (
        <div className="cols">
          <section className="card">
            <h2>Contents</h2>
            <ul className="plain">
              {r.items.map((item) => {
                const p = products.data?.find((x) => x.id === item.productId);
                return (
                  <li key={item.productId}>
                    {item.qty} × <Link href={`/products/${item.productId}`}>{p?.name ?? item.productId}</Link>
                  </li>
                );
              })}
            </ul>
            <dl className="fields">
              <dt>Bottles</dt>
              <dd>{r.bottles}</dd>
              <dt>Price per member</dt>
              <dd>{money(r.priceCents)}</dd>
              <dt>Expected revenue</dt>
              <dd>{money(r.priceCents * r.members)}</dd>
            </dl>
          </section>
          <RecordActivity entityType="release" entityId={r.id} />
        </div>
      ) : null}
    </div>
  );
}
