/** Products list and product record page. */
import type { ReactNode } from 'react';
import { money, type Product, useRecord, useRecords } from '../api';
import { Link } from '../router';
import { RecordActivity } from './RecordActivity';

/** All products. */
export function ProductsPage(): ReactNode {
  const products = useRecords<Product>('products');
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Products</h1>
          <p className="muted">Stock is synced from Square every hour (SYNC_SQUARE_STOCK).</p>
        </div>
      </div>
      <div className="card flush">
        <table className="grid">
          <thead>
            <tr>
              <th>Wine</th>
              <th>SKU</th>
              <th>Source</th>
              <th className="num">Price</th>
              <th className="num">Stock</th>
            </tr>
          </thead>
          <tbody>
            {(products.data ?? []).map((p) => (
              <tr key={p.id}>
                <td>
                  <Link href={`/products/${p.id}`}>{p.name}</Link>
                </td>
                <td className="mono">{p.sku}</td>
                <td>{p.source}</td>
                <td className="num">{money(p.priceCents)}</td>
                <td className={`num${p.stock < 24 ? ' low' : ''}`}>{p.stock}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** One product. */
export function ProductPage({ id }: { id: string }): ReactNode {
  const product = useRecord<Product>('products', id);
  const p = product.data;
  if (product.isError) return <div className="card empty">Product {id} was not found.</div>;
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <p className="muted small">
            <Link href="/products">Products</Link> / {id}
          </p>
          <h1>{p?.name ?? '…'}</h1>
          {p ? (
            <p className="muted">
              {p.varietal}
              {p.vintage ? ` · ${p.vintage.toString()}` : ' · non-vintage'} · synced from {p.source}
            </p>
          ) : null}
        </div>
      </div>
      {p ? (
        <div className="cols">
          <section className="card">
            <h2>Details</h2>
            <dl className="fields">
              <dt>SKU</dt>
              <dd className="mono">{p.sku}</dd>
              <dt>Price</dt>
              <dd>{money(p.priceCents)}</dd>
              <dt>In stock</dt>
              <dd>{p.stock} bottles</dd>
            </dl>
          </section>
          <RecordActivity entityType="product" entityId={p.id} />
        </div>
      ) : null}
    </div>
  );
}
