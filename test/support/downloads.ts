import type { Client } from 'graphql-ws';
import { expect } from 'vitest';
import { FakeFileServer, type FakeFileOptions, type RequestSeen } from './fake-file-server.js';
import { graphql } from '../gql/index.js';
import type { TestServer } from './server.js';
import { subscribe } from './subscriptions.js';

export const DOWNLOAD_FIELDS = graphql(`
  fragment DownloadFields on Download {
    id
    status
    url
    path
    fileName
    bytesTotal
    bytesDone
    progress
    speedBps
    etaSeconds
    chunks {
      start
      end
      done
    }
    attempts
    errorMessage
    createdAt
    startedAt
    finishedAt
  }
`);

export const ENQUEUE = graphql(`
  mutation Enqueue($input: EnqueueDownloadInput!) {
    enqueueDownload(input: $input) {
      __typename
      ... on EnqueueDownloadSuccess {
        download {
          ...DownloadFields
        }
      }
      ... on Error {
        code
        message
        path
      }
      ... on AddressRefusedError {
        host
      }
    }
  }
`);

export const PROGRESS = graphql(`
  subscription Progress($id: ID) {
    downloadProgress(id: $id) {
      ...DownloadFields
    }
  }
`);

export const DOWNLOADS = graphql(`
  query Downloads($status: [DownloadStatus!], $first: Int, $after: String) {
    downloads(status: $status, first: $first, after: $after) {
      edges {
        node {
          ...DownloadFields
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const DOWNLOAD_RESULT_FIELDS = graphql(`
  fragment DownloadResultFields on DownloadResult {
    __typename
    ... on DownloadSuccess {
      download {
        ...DownloadFields
      }
    }
    ... on Error {
      code
      message
    }
  }
`);

export const PAUSE = graphql(`
  mutation Pause($id: ID!) {
    pauseDownload(id: $id) {
      ...DownloadResultFields
    }
  }
`);

export const RESUME = graphql(`
  mutation Resume($id: ID!) {
    resumeDownload(id: $id) {
      ...DownloadResultFields
    }
  }
`);

export const CANCEL = graphql(`
  mutation Cancel($id: ID!) {
    cancelDownload(id: $id) {
      ...DownloadResultFields
    }
  }
`);

export const RETRY = graphql(`
  mutation Retry($id: ID!) {
    retryDownload(id: $id) {
      ...DownloadResultFields
    }
  }
`);

export type DownloadView = {
  id: string;
  status: string;
  url: string;
  path: string | null;
  fileName: string | null;
  bytesTotal: number | null;
  bytesDone: number;
  progress: number;
  speedBps: number | null;
  etaSeconds: number | null;
  chunks: { start: number; end: number; done: number }[];
  attempts: number;
  errorMessage: string | null;
  finishedAt: string | null;
};

export const TERMINAL = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** Queues a download and answers it; fails the test on any other result. */
export async function enqueue(server: TestServer, token: string, input: { url: string; fileName?: string; path?: string; sha256?: string }): Promise<DownloadView> {
  const data = await server.gql(ENQUEUE, { input }, { token });
  if (data.enqueueDownload.__typename !== 'EnqueueDownloadSuccess') throw new Error(`enqueueDownload: ${JSON.stringify(data.enqueueDownload)}`);
  return data.enqueueDownload.download as DownloadView;
}

/** Follows one download until `until` says so (its end by default); answers every state seen. */
export async function follow(client: Client, id: string, until: (d: DownloadView) => boolean = (d) => TERMINAL.includes(d.status)): Promise<DownloadView[]> {
  const seen: DownloadView[] = [];
  try {
    for await (const result of subscribe(client, PROGRESS, { id })) {
      if (result.errors?.length) throw result.errors;
      const download = result.data!.downloadProgress as DownloadView;
      seen.push(download);
      if (until(download)) break;
    }
  } catch (error) {
    // graphql-ws rejects with the GraphQL errors when the operation fails as a whole
    throw error instanceof Error ? error : new Error(JSON.stringify(error));
  }
  return seen;
}

/**
 * Resumed, not started over: no new probe, no byte that was on disk asked for again, and little more
 * sent than was missing (a range cut short for an idle connection may overshoot by what was in flight).
 */
export function expectResumed(requests: RequestSeen[], chunksAtStop: DownloadView['chunks'], size: number): void {
  const written = chunksAtStop.map((c) => [c.start, c.start + c.done] as const);
  const missing = size - chunksAtStop.reduce((sum, c) => sum + c.done, 0);
  expect(requests.some((r) => r.range === 'bytes=0-0')).toBe(false);
  const again = requests.filter((r) => {
    const start = Number(/^bytes=(\d+)-/.exec(r.range ?? '')?.[1]);
    return written.some(([a, b]) => start >= a && start < b);
  });
  expect(again).toEqual([]);
  const sent = requests.reduce((sum, r) => sum + r.bytes, 0);
  expect(sent).toBeGreaterThanOrEqual(missing);
  expect(sent).toBeLessThan(missing + 4 * 1024 * 1024);
}

/** File servers a test file starts, closed together at its end. */
export function fileServers() {
  const started: FakeFileServer[] = [];
  return {
    start: async (options: FakeFileOptions) => {
      const fake = await FakeFileServer.start(options);
      started.push(fake);
      return fake;
    },
    closeAll: () => Promise.all(started.splice(0).map((f) => f.close())),
  };
}
