import type { Page } from '../services/pagination.js';

/** A service's keyset page in Relay's connection shape. */
export function toConnection<Row>(page: Page<Row>) {
  return {
    edges: page.rows.map((node, i) => ({ node, cursor: page.cursors[i]! })),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: page.cursors[0] ?? null,
      endCursor: page.cursors.at(-1) ?? null,
    },
  };
}
