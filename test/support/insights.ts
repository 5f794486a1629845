import { graphql } from '../gql/index.js';

export const INSIGHTS = graphql(`
  query Insights($first: Int, $after: String) {
    insights {
      oldUnwatched(first: $first, after: $after) {
        totalCount
        unknownDateCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          ...InsightItemEdgeFields
        }
      }
      largeMovies(first: $first) {
        totalCount
        edges {
          ...InsightItemEdgeFields
        }
      }
      languageIssues(first: $first) {
        totalCount
        edges {
          ...InsightItemEdgeFields
        }
      }
      unavailableRequests(first: $first) {
        totalCount
        edges {
          ...InsightRequestEdgeFields
        }
      }
      recentlyAvailable(first: $first) {
        totalCount
        edges {
          ...InsightRequestEdgeFields
        }
      }
    }
  }

  fragment InsightItemEdgeFields on InsightItemEdge {
    reasons
    node {
      id
      title
      kind
      sizeBytes
      audioLanguages
      subtitleLanguages
    }
  }

  fragment InsightRequestEdgeFields on InsightRequestEdge {
    reasons
    node {
      id
      title
      requestId
      status
      mediaStatus
      availableAt
    }
  }
`);

export const ADD_ALLOWLIST = graphql(`
  mutation AddAllowlistEntry($input: AllowlistEntryInput!) {
    addAllowlistEntry(input: $input) {
      __typename
      ... on AllowlistEntrySuccess {
        allowlistEntry {
          id
          kind
          targetKind
          title
          active
          expiresAt
        }
      }
      ... on Error {
        code
        message
        path
      }
    }
  }
`);

export const UPDATE_SETTINGS = graphql(`
  mutation UpdateJanitorSettings($input: JanitorSettingsInput!) {
    updateJanitorSettings(input: $input) {
      __typename
      ... on JanitorSettingsSuccess {
        settings {
          oldContentMonths
          minAgeMonths
          largeMovieGb
          recentReleaseMonths
          recentDays
          excludeFutureReleases
          excludeRecentReleases
          audioLanguages
          subtitleLanguages
        }
      }
      ... on Error {
        code
        message
        path
      }
    }
  }
`);
