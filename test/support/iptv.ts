import { graphql } from '../gql/index.js';
import { FakeXtream } from './fake-xtream.js';
import type { TestServer } from './server.js';

export const ADD_PLAYLIST = graphql(`
  mutation IptvAddPlaylist($input: AddPlaylistInput!) {
    addPlaylist(input: $input) {
      __typename
      ... on Error {
        code
        message
        path
      }
      ... on IptvAccountExpiredError {
        expiresAt
      }
      ... on AddPlaylistSuccess {
        playlist {
          id
          name
          serverUrl
          accountStatus
          maxConnections
          expiresAt
          syncStatus
        }
      }
    }
  }
`);

export const PLAYLISTS = graphql(`
  query IptvPlaylists {
    playlists {
      id
      name
      serverUrl
      syncStatus
      lastSyncAt
      lastError
      liveCount
      vodCount
      seriesCount
      skippedCount
      sectionErrors {
        categories
        live
        vod
        series
      }
      progress {
        phase
        skipped
        sectionsDone
        sectionsFailed
      }
    }
  }
`);

export const SYNC_PLAYLIST = graphql(`
  mutation IptvSyncPlaylist($id: ID!) {
    syncPlaylist(id: $id) {
      __typename
      ... on SyncSuccess {
        playlists {
          id
          syncStatus
        }
      }
      ... on Error {
        code
      }
    }
  }
`);

export const VOD_STREAMS = graphql(`
  query IptvVodStreams($playlistId: ID!, $categoryId: ID, $search: String, $first: Int, $after: String) {
    vodStreams(playlistId: $playlistId, categoryId: $categoryId, search: $search, first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          streamId
          name
          categoryId
          rating
          containerExtension
          added
          gone
          favorite
          url
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const LIVE_STREAMS = graphql(`
  query IptvLiveStreams($playlistId: ID!, $categoryId: ID, $search: String, $first: Int) {
    liveStreams(playlistId: $playlistId, categoryId: $categoryId, search: $search, first: $first) {
      edges {
        node {
          id
          streamId
          name
          categoryId
          epgChannelId
          tvArchive
          added
          url
        }
      }
    }
  }
`);

export const SERIES = graphql(`
  query IptvSeries($playlistId: ID!, $categoryId: ID, $search: String, $actor: String, $first: Int) {
    series(playlistId: $playlistId, categoryId: $categoryId, search: $search, actor: $actor, first: $first) {
      edges {
        node {
          id
          seriesId
          name
          categoryId
          cast
          rating
          backdrops
          lastModified
          releaseDate
        }
      }
    }
  }
`);

export const CATEGORIES = graphql(`
  query IptvCategories($section: IptvSection!) {
    playlists {
      id
      categories(section: $section) {
        id
        categoryId
        name
      }
    }
  }
`);

/** A fake panel with a small catalog, started. */
export async function startFakeXtream(): Promise<FakeXtream> {
  return new FakeXtream().start();
}

/** Adds the fake's account as a playlist and waits for its first sync to be over; answers the playlist id. */
export async function addAndSync(server: TestServer, token: string, xtream: FakeXtream, name = 'My provider'): Promise<string> {
  const { username, password } = xtream.account;
  const data = await server.gql(ADD_PLAYLIST, { input: { name, serverUrl: xtream.url, username, password } }, { token });
  if (data.addPlaylist.__typename !== 'AddPlaylistSuccess') throw new Error(`addPlaylist failed: ${JSON.stringify(data.addPlaylist)}`);
  await server.app.runs.idle();
  return data.addPlaylist.playlist.id;
}

/** Syncs again and waits for the run to be over; answers the playlist as listed. */
export async function syncAgain(server: TestServer, token: string, id: string) {
  const data = await server.gql(SYNC_PLAYLIST, { id }, { token });
  if (data.syncPlaylist.__typename !== 'SyncSuccess') throw new Error(`syncPlaylist failed: ${JSON.stringify(data.syncPlaylist)}`);
  await server.app.runs.idle();
  return playlist(server, token, id);
}

export async function playlist(server: TestServer, token: string, id: string) {
  const found = (await server.gql(PLAYLISTS, {}, { token })).playlists.find((p) => p.id === id);
  if (!found) throw new Error(`playlist ${id} not listed`);
  return found;
}
