/** The requests bench/library.ts times and bench/library-profile.ts repeats: the same documents for both. */
export const PAGE = /* GraphQL */ `
  query BenchPage($first: Int!, $after: String) {
    watchEvents(first: $first, after: $after) {
      edges {
        cursor
        node {
          id watchedAt rating rewatch
          media { id title kind year rating genres show { id title } }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }`;

export const CURSOR_ONLY = /* GraphQL */ `
  query BenchCursor($first: Int!, $after: String) {
    watchEvents(first: $first, after: $after) { pageInfo { hasNextPage endCursor } }
  }`;

export const STATS = /* GraphQL */ `
  query BenchStats($from: DateTime!, $to: DateTime!) {
    watchStats(from: $from, to: $to) {
      totals { events hours }
      series { start events }
      topGenres { name events }
      topDirectors { name events }
      topRated { rating media { title } }
      ratingHistogram { rating count }
      bySource { source events }
    }
  }`;
