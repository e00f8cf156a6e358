/**
 * The handler's routes about itself: the public health probe (`GET /health`) and the catalog
 * (`GET /catalog`), the UI's labels and filter options with the `retryable` flags of this handler.
 */
import { type CatalogLabels, catalogLabels } from '../../core/catalog.js';
import type { HandlerContext } from '../handlerContext.js';
import { jsonReply } from '../http.js';
import type { Route } from '../route.js';

/** The health and catalog routes; the catalog is built once, here. */
export function metaRoutes(hc: HandlerContext): Route[] {
  const { options } = hc;
  const labels = options.catalog ?? catalogLabels(hc.activity?.catalog);
  // What the UI offers a Retry button for must match what this handler can actually retry.
  const catalogJson: CatalogLabels = {
    ...labels,
    jobs: labels.jobs.map((j) => ({ ...j, retryable: Object.hasOwn(options.retry?.jobs ?? {}, j.value) })),
    providers: labels.providers.map((p) => ({
      ...p,
      retryable: Object.hasOwn(options.retry?.providers ?? {}, p.value),
    })),
  };
  return [
    {
      method: 'GET',
      path: ['health'],
      // Public and content-free: load balancers probe it without credentials.
      permission: null,
      async run() {
        return jsonReply({ status: 'ok' });
      },
    },
    {
      method: 'GET',
      path: ['catalog'],
      permission: 'read',
      async run() {
        return jsonReply(catalogJson);
      },
    },
  ];
}
