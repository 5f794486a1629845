import { decodeGlobalID } from '@pothos/plugin-relay';
import { graphql } from '../gql/index.js';
import type { TestServer } from './server.js';

export const CONNECT = graphql(`
  mutation ConnectMediaServer($input: ConnectMediaServerInput!) {
    connectMediaServer(input: $input) {
      __typename
      ... on ConnectMediaServerSuccess {
        webhookSecret
        mediaServer {
          id
          kind
          url
          name
          version
          apiKeyConfigured
          syncStatus
          lastSyncAt
          webhookUrl
        }
      }
      ... on Error {
        code
        message
        path
      }
      ... on UpstreamError {
        service
        setting
      }
      ... on WrongProductError {
        service
        found
      }
      ... on UpstreamUnreachableError {
        service
      }
      ... on UpstreamTlsError {
        service
        reason
      }
    }
  }
`);

export const SYNC = graphql(`
  mutation SyncMediaServers($id: ID) {
    syncMediaServers(id: $id) {
      __typename
      ... on SyncSuccess {
        mediaServers {
          id
          syncStatus
        }
      }
      ... on Error {
        code
        message
      }
    }
  }
`);

export const SERVERS = graphql(`
  query MediaServers {
    mediaServers {
      id
      kind
      url
      apiKeyConfigured
      syncStatus
      lastSyncAt
      lastError
      itemCount
      requestCount
      progress {
        phase
        items
        itemsTotal
        users
        usersTotal
        playedItems
        playsRecorded
        requests
        titles
      }
    }
  }
`);

/** Connects a server and answers its id and webhook secret; fails the test on any other outcome. */
export async function connect(server: TestServer, token: string, input: { kind: 'JELLYFIN' | 'JELLYSEERR'; url: string; apiKey: string; historyUsers?: string[] }) {
  const data = await server.gql(CONNECT, { input }, { token });
  if (data.connectMediaServer.__typename !== 'ConnectMediaServerSuccess') throw new Error(`connect failed: ${JSON.stringify(data.connectMediaServer)}`);
  return { id: data.connectMediaServer.mediaServer.id, webhookSecret: data.connectMediaServer.webhookSecret };
}

/** Queues a sync of the person's servers (or one) and waits until every run is over. */
export async function syncAndWait(server: TestServer, token: string, id?: string) {
  const data = await server.gql(SYNC, { id: id ?? null }, { token });
  if (data.syncMediaServers.__typename !== 'SyncSuccess') throw new Error(`sync refused: ${JSON.stringify(data.syncMediaServers)}`);
  await server.app.runs.idle();
  return (await server.gql(SERVERS, {}, { token })).mediaServers;
}

/** The row id inside a global id, for checks in SQL. */
export const rawId = (globalId: string) => decodeGlobalID(globalId).id;
