import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { fileServers } from './support/downloads.js';
import type { FakeFileServer } from './support/fake-file-server.js';
import { generateCatalog, type FakeXtream } from './support/fake-xtream.js';
import { addAndSync, startFakeXtream } from './support/iptv.js';
import { capturedLogs } from './support/logs.js';
import { startTestServer, type TestServer } from './support/server.js';

const SERIES_IDS = graphql(`
  query TrackingSeriesIds($playlistId: ID!) {
    series(playlistId: $playlistId, first: 10) {
      edges {
        node {
          id
          seriesId
        }
      }
    }
    vodStreams(playlistId: $playlistId, first: 10) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

const TRACK = graphql(`
  mutation TrackingTrack($seriesId: ID!, $input: TrackSeriesInput) {
    trackSeries(seriesId: $seriesId, input: $input) {
      __typename
      ... on Error {
        code
        message
      }
      ... on TrackSeriesSuccess {
        series {
          tracking {
            mode
            seasons
            language
          }
        }
        queued {
          id
        }
      }
    }
  }
`);

const UNTRACK = graphql(`
  mutation TrackingUntrack($seriesId: ID!) {
    untrackSeries(seriesId: $seriesId) {
      __typename
    }
  }
`);

const EPISODES = graphql(`
  query TrackingEpisodes($id: ID!) {
    seriesDetails(id: $id) {
      episodes {
        id
        episodeId
        url
        queuedAt
        download {
          id
        }
      }
    }
  }
`);

const ENQUEUE_STREAM = graphql(`
  mutation TrackingEnqueue($input: EnqueueDownloadInput!) {
    enqueueDownload(input: $input) {
      __typename
      ... on Error {
        code
      }
      ... on EnqueueDownloadSuccess {
        download {
          id
        }
      }
    }
  }
`);

const DOWNLOADS = graphql(`
  query TrackingDownloads {
    downloads(first: 50) {
      edges {
        node {
          id
          status
          url
          path
        }
      }
    }
  }
`);

const CHECK_TRACKED = graphql(`
  mutation TrackingCheck {
    runJob(name: "check-tracked-series") {
      __typename
    }
  }
`);

const MiB = 1024 * 1024;
const files = fileServers();

/** The series of the generated catalog with their get_series_info: 2 seasons × 3 episodes each. */
function catalog() {
  return generateCatalog({ live: 0, vod: 2, series: 2, seriesWithInfo: 2, categories: 1 });
}

/** A new episode upstream, as panels list one: season key a string, id a string. */
function addEpisode(xtream: FakeXtream, seriesId: number, season: number, n: number): string {
  const info = xtream.catalog.seriesInfo.get(seriesId) as { episodes: Record<string, unknown[]> };
  const id = `${seriesId}${season}${String(n).padStart(2, '0')}`;
  (info.episodes[String(season)] ??= []).push({ id, episode_num: n, title: `S${season}E${n}`, container_extension: 'mkv', info: [], custom_sid: '', added: '1530461700', season, direct_source: '' });
  return id;
}

describe('tracked series', () => {
  let server: TestServer;
  let xtream: FakeXtream;
  let fake: FakeFileServer;
  let owner: { token: string };
  const logs = capturedLogs();

  beforeAll(async () => {
    fake = await files.start({ size: 256 * 1024, seed: 41 });
    xtream = await startFakeXtream();
    xtream.files = fake.url('');
    xtream.catalog = catalog();
    server = await startTestServer({
      log: logs.log,
      env: { KLUG_DOWNLOAD_ALLOW_PRIVATE: 'true', KLUG_DOWNLOAD_CHUNKS: '2' },
      overrides: { runs: { progressMs: 50 }, downloads: { retryBaseMs: 20, retryMaxMs: 200 } },
    });
    owner = await server.newPerson();
  });
  afterAll(async () => {
    await server?.stop();
    await xtream?.stop();
    await files.closeAll();
  });

  /** A new person with the fake's playlist synced: the ids of its two series and two films. */
  async function personWithPlaylist() {
    const person = await server.newPerson();
    const playlistId = await addAndSync(server, person.token, xtream);
    const data = await server.gql(SERIES_IDS, { playlistId }, { token: person.token });
    const series = new Map(data.series.edges.map((e) => [e.node.seriesId, e.node.id]));
    return { ...person, playlistId, series: (n: number) => series.get(500_000 + n)!, vods: data.vodStreams.edges.map((e) => e.node) };
  }

  const downloadsOf = async (token: string) => (await server.gql(DOWNLOADS, {}, { token })).downloads.edges.map((e) => e.node);
  const onDisk = (path: string) => readFileSync(join(server.config.downloads.dir, path));
  const checkTracked = async () => {
    expect((await server.gql(CHECK_TRACKED, {}, { token: owner.token })).runJob.__typename).toBe('RunJobSuccess');
    await server.app.runs.idle();
  };

  it('NEW_ONLY queues exactly the episodes that appear later, once each, where the series template puts them', async () => {
    xtream.catalog = catalog();
    const alice = await personWithPlaylist();
    const tracked = await server.gql(TRACK, { seriesId: alice.series(1), input: { language: 'English' } }, { token: alice.token });
    expect(tracked.trackSeries).toMatchObject({ __typename: 'TrackSeriesSuccess', series: { tracking: { mode: 'NEW_ONLY', seasons: [], language: 'English' } }, queued: [] });

    await checkTracked();
    expect(await downloadsOf(alice.token)).toEqual([]);

    addEpisode(xtream, 500_001, 2, 4);
    addEpisode(xtream, 500_001, 3, 1);
    await checkTracked();
    const downloads = await downloadsOf(alice.token);
    expect(downloads.map((d) => d.path).sort()).toEqual([
      'Series/English/Series number 1/Season 02/S2E4.mkv',
      'Series/English/Series number 1/Season 03/S3E1.mkv',
    ]);
    expect(downloads.map((d) => d.status)).toEqual(['COMPLETED', 'COMPLETED']);
    for (const d of downloads) expect(onDisk(d.path!).equals(fake.bytes)).toBe(true);

    await checkTracked();
    expect(await downloadsOf(alice.token)).toHaveLength(2);
  });

  it('ALL queues every episode listed, SEASONS those of the chosen seasons, and untracking stops it', async () => {
    xtream.catalog = catalog();
    const bob = await personWithPlaylist();
    const all = await server.gql(TRACK, { seriesId: bob.series(0), input: { mode: 'ALL' } }, { token: bob.token });
    expect(all.trackSeries.__typename === 'TrackSeriesSuccess' && all.trackSeries.queued).toHaveLength(6);
    const seasons = await server.gql(TRACK, { seriesId: bob.series(1), input: { mode: 'SEASONS', seasons: [2] } }, { token: bob.token });
    expect(seasons.trackSeries.__typename === 'TrackSeriesSuccess' && seasons.trackSeries.queued).toHaveLength(3);
    await server.app.runs.idle();
    const paths = (await downloadsOf(bob.token)).map((d) => d.path);
    expect(paths.filter((p) => p!.startsWith('Series/Series number 1/'))).toHaveLength(3);
    expect(paths.filter((p) => p!.startsWith('Series/Series number 1/Season 02/'))).toHaveLength(3);

    expect((await server.gql(UNTRACK, { seriesId: bob.series(0) }, { token: bob.token })).untrackSeries.__typename).toBe('DeleteSuccess');
    addEpisode(xtream, 500_000, 1, 4);
    addEpisode(xtream, 500_001, 2, 4);
    addEpisode(xtream, 500_001, 1, 4);
    await checkTracked();
    const after = (await downloadsOf(bob.token)).map((d) => d.path);
    expect(after).toHaveLength(10);
    expect(after).toContain('Series/Series number 1/Season 02/S2E4.mkv');
    expect(after.filter((p) => p!.startsWith('Series/Series number 0/'))).toHaveLength(6);
  });

  it('enqueueDownload takes a VOD stream or an episode, and an episode queued by hand is not queued again', async () => {
    xtream.catalog = catalog();
    const carol = await personWithPlaylist();
    const vod = carol.vods.find((v) => v.name === 'Film number 0 (1950)')!;
    const byVod = await server.gql(ENQUEUE_STREAM, { input: { vodStreamId: vod.id, language: 'French' } }, { token: carol.token });
    expect(byVod.enqueueDownload.__typename).toBe('EnqueueDownloadSuccess');
    const episodes = (await server.gql(EPISODES, { id: carol.series(0) }, { token: carol.token })).seriesDetails!.episodes;
    const first = episodes[0]!;
    const byEpisode = await server.gql(ENQUEUE_STREAM, { input: { episodeId: first.id } }, { token: carol.token });
    expect(byEpisode.enqueueDownload.__typename).toBe('EnqueueDownloadSuccess');
    await server.app.runs.idle();

    const tracked = await server.gql(TRACK, { seriesId: carol.series(0), input: { mode: 'ALL' } }, { token: carol.token });
    expect(tracked.trackSeries.__typename === 'TrackSeriesSuccess' && tracked.trackSeries.queued).toHaveLength(5);
    await server.app.runs.idle();
    const downloads = await downloadsOf(carol.token);
    expect(downloads.map((d) => d.path)).toContain('VOD/French/Film number 0 (1950)/Film number 0 (1950).mp4');
    expect(downloads).toHaveLength(7);
    expect(downloads.every((d) => d.status === 'COMPLETED')).toBe(true);
    const listed = (await server.gql(EPISODES, { id: carol.series(0) }, { token: carol.token })).seriesDetails!.episodes;
    expect(listed.every((e) => e.download !== null && e.queuedAt !== null)).toBe(true);
  });

  it('refuses a mixed or foreign enqueue and tracking, and never shows the password', async () => {
    xtream.catalog = catalog();
    const dave = await personWithPlaylist();
    const erin = await server.newPerson();
    const episodes = (await server.gql(EPISODES, { id: dave.series(0) }, { token: dave.token })).seriesDetails!.episodes;

    const both = await server.gql(ENQUEUE_STREAM, { input: { url: fake.url('/x.bin'), vodStreamId: dave.vods[0]!.id } }, { token: dave.token });
    expect(both.enqueueDownload).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
    const withPath = await server.gql(ENQUEUE_STREAM, { input: { episodeId: episodes[0]!.id, path: '../x' } }, { token: dave.token });
    expect(withPath.enqueueDownload).toMatchObject({ __typename: 'ValidationError' });
    const seasonsWithout = await server.gql(TRACK, { seriesId: dave.series(0), input: { mode: 'SEASONS' } }, { token: dave.token });
    expect(seasonsWithout.trackSeries).toMatchObject({ __typename: 'ValidationError' });

    const foreignVod = await server.gql(ENQUEUE_STREAM, { input: { vodStreamId: dave.vods[0]!.id } }, { token: erin.token });
    expect(foreignVod.enqueueDownload).toMatchObject({ __typename: 'NotFoundError' });
    const foreignEpisode = await server.gql(ENQUEUE_STREAM, { input: { episodeId: episodes[0]!.id } }, { token: erin.token });
    expect(foreignEpisode.enqueueDownload).toMatchObject({ __typename: 'NotFoundError' });
    const foreignTrack = await server.gql(TRACK, { seriesId: dave.series(0) }, { token: erin.token });
    expect(foreignTrack.trackSeries).toMatchObject({ __typename: 'NotFoundError' });
    expect((await server.gql(UNTRACK, { seriesId: dave.series(0) }, { token: erin.token })).untrackSeries.__typename).toBe('NotFoundError');

    const queued = await server.gql(ENQUEUE_STREAM, { input: { episodeId: episodes[1]!.id } }, { token: dave.token });
    expect(queued.enqueueDownload.__typename).toBe('EnqueueDownloadSuccess');
    await server.app.runs.idle();
    const { password } = xtream.account;
    const answers = JSON.stringify([await downloadsOf(dave.token), episodes]);
    expect(answers).toContain('/series/');
    expect(answers).not.toContain(password);
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.lines.filter((line) => line.includes(password))).toEqual([]);
  });
});

describe("the provider's connection budget", () => {
  it('reaches the download engine: a playlist allowing 2 connections never sees a third, whatever is queued', async () => {
    const fake = await files.start({ size: 2 * MiB, seed: 42, bytesPerSecond: 4 * MiB });
    const xtream = await startFakeXtream();
    xtream.files = fake.url('');
    xtream.catalog = catalog();
    xtream.account.max_connections = '2';
    const server = await startTestServer({ env: { KLUG_DOWNLOAD_ALLOW_PRIVATE: 'true', KLUG_DOWNLOAD_CHUNKS: '4' } });
    try {
      const person = await server.newPerson();
      const playlistId = await addAndSync(server, person.token, xtream);
      const seriesId = (await server.gql(SERIES_IDS, { playlistId }, { token: person.token })).series.edges[0]!.node.id;
      const tracked = await server.gql(TRACK, { seriesId, input: { mode: 'SEASONS', seasons: [1] } }, { token: person.token });
      expect(tracked.trackSeries.__typename === 'TrackSeriesSuccess' && tracked.trackSeries.queued).toHaveLength(3);
      await server.app.runs.idle();
      const downloads = (await server.gql(DOWNLOADS, {}, { token: person.token })).downloads.edges.map((e) => e.node);
      expect(downloads.map((d) => d.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
      expect(fake.maxOpen).toBeLessThanOrEqual(2);
      expect(fake.maxOpen).toBe(2);
    } finally {
      await server.stop();
      await xtream.stop();
      await files.closeAll();
    }
  });
});

describe('an episode that cannot be queued', () => {
  it('answers why, and leaves it and the ones after it to the next check', async () => {
    const xtream = await startFakeXtream();
    xtream.catalog = catalog();
    // no KLUG_DOWNLOAD_ALLOW_PRIVATE: the engine refuses the provider's loopback address
    const server = await startTestServer({});
    try {
      const person = await server.newPerson();
      const playlistId = await addAndSync(server, person.token, xtream);
      const seriesId = (await server.gql(SERIES_IDS, { playlistId }, { token: person.token })).series.edges[0]!.node.id;
      const tracked = await server.gql(TRACK, { seriesId, input: { mode: 'ALL' } }, { token: person.token });
      expect(tracked.trackSeries.__typename).toBe('AddressRefusedError');
      const episodes = (await server.gql(EPISODES, { id: seriesId }, { token: person.token })).seriesDetails!.episodes;
      expect(episodes).toHaveLength(6);
      expect(episodes.filter((e) => e.queuedAt !== null || e.download !== null)).toEqual([]);
    } finally {
      await server.stop();
      await xtream.stop();
    }
  });
});
