import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { emptyCatalog, type FakeXtream } from './support/fake-xtream.js';
import { addAndSync, CATEGORIES, LIVE_STREAMS, playlist, SERIES, startFakeXtream, VOD_STREAMS } from './support/iptv.js';
import { startTestServer, type TestServer } from './support/server.js';

const SERIES_DETAILS = graphql(`
  query IptvWireSeriesDetails($id: ID!) {
    seriesDetails(id: $id) {
      name
      detailsFetchedAt
      seasons {
        seasonNumber
        name
        episodeCount
      }
      episodes {
        episodeId
        season
        episodeNum
        title
        containerExtension
        durationSecs
        plot
        added
        url
      }
    }
  }
`);

/**
 * Every variant of UPSTREAMS.md §3.3's strings-versus-numbers table, one entry each, plus entries no panel
 * should send (skipped and counted, never the end of the sync).
 */
function variantCatalog() {
  const catalog = emptyCatalog();
  // categories: ids as strings, parent_id a number; a PHP keyed array instead of a list; one without an id
  catalog.liveCategories = { 0: { category_id: '36', category_name: 'UK', parent_id: 0 }, 1: { category_name: 'no id', parent_id: 0 } } as never;
  catalog.vodCategories = [{ category_id: '324', category_name: 'Films', parent_id: 0 }];
  catalog.seriesCategories = [{ category_id: '365', category_name: 'Drama', parent_id: '0' }];
  catalog.live = [
    // captured as is
    { num: 2, name: 'UK: BBC ONE (HD) (720p)', stream_type: 'live', stream_id: 36011, stream_icon: '', epg_channel_id: 'BBC1London.uk', added: '1498323601', category_id: '36', custom_sid: '', tv_archive: 0, direct_source: '', tv_archive_duration: 0 },
    // ids and archive flags as strings, epg id and custom_sid null, radio
    { num: '3', name: 'Radio Été', stream_type: 'radio_streams', stream_id: '36012', stream_icon: 'http://img/r.png', epg_channel_id: null, added: '', category_id: '36', custom_sid: null, tv_archive: '1', tv_archive_duration: '7' },
    // unreadable: no id, an id that is not a number, a list where an object was due, a bare string, no name
    { num: 4, name: 'No id', stream_type: 'live' },
    { num: 5, name: 'Bad id', stream_id: 'abc' },
    [],
    'not an entry',
    { stream_id: 36099, name: '' },
  ];
  catalog.vod = [
    { num: 1, name: 'The Equalizer 2 (CAM)', stream_type: 'movie', stream_id: 130529, stream_icon: 'http://liquidit.info:8080/images/x_small.jpg', rating: '6.3', rating_5based: 3.2, added: '1535126376', category_id: '324', container_extension: 'mp4', custom_sid: '', direct_source: '' },
    { num: 2, name: 'Rating empty', stream_type: 'movie', stream_id: '130530', stream_icon: '', rating: '', rating_5based: 0, added: '1535126377', category_id: '324', container_extension: 'mkv' },
    { num: 3, name: 'Rating number', stream_type: 'movie', stream_id: 130531, rating: 7, added: 1535126378, category_id: '324', container_extension: '.MKV' },
    { num: 4, name: 'Rating whole string', stream_type: 'movie', stream_id: 130532, rating: '7', added: null, category_id: null, container_extension: 'm$p4' },
    null,
  ];
  catalog.series = [
    {
      num: 1, name: 'Criminal Minds', stream_type: null, series_id: 3, cover: 'http://liquidit.info:8080/images/c.jpg', plot: 'An elite team of FBI profilers…',
      cast: 'Joe Mantegna, Matthew Gray Gubler, Paget Brewster', director: 'Jeff Davis', genre: 'Crime / Drama / Mystery', releaseDate: '2005-09-22',
      last_modified: '1530461599', rating: '7', rating_5based: 3.5, backdrop_path: ['http://liquidit.info:8080/images/4057_tv_backdrop_0.jpg'], youtube_trailer: 'XJAjw42JjZs', episode_run_time: '42', category_id: '365',
    },
    // XC_VM: series_id a string, release_date, category null, backdrop "" and rating ""
    { num: '2', name: 'Élite', stream_type: 'series', series_id: '4', cover: '', cast: '', release_date: '2018-10-05', last_modified: 1530461600, rating: '', backdrop_path: '', episode_run_time: '', category_id: null },
    { num: 3, name: 'No episodes', series_id: 5, backdrop_path: null, category_id: '365' },
    { num: 4, name: 'Broken', series_id: null },
  ];
  catalog.seriesInfo.set(3, {
    seasons: [{ air_date: '2005-09-22', episode_count: 22, id: 3710, name: 'Season 1', overview: '', season_number: 1, cover: '', cover_big: '' }],
    info: { name: 'Criminal Minds', cast: 'Joe Mantegna', category_id: '365' },
    episodes: {
      '1': [
        { id: '40211', episode_num: 1, title: 'S01E01 - Extreme Aggressor', container_extension: 'mkv', info: { movie_image: 'http://x/e1.jpg', plot: 'Pilot', duration_secs: 2580, duration: '00:43:00' }, custom_sid: '', added: '1530461599', season: 1, direct_source: '' },
        { id: '40212', episode_num: 2, title: 'S01E02 - Compulsion', container_extension: 'mkv', info: [], custom_sid: '', added: '1530461600', season: 1, direct_source: '' },
      ],
      // a panel that sends numbers as strings and only `duration`; a season key with the episode's season missing
      '2': [
        { id: '40301', episode_num: '1', title: 'S02E01', container_extension: 'mp4', info: { duration_secs: '2652' }, added: '1530461700', season: '2' },
        { id: '40302', episode_num: 2, title: 'S02E02', container_extension: 'mp4', info: { duration: '00:44:12' }, added: '1530461701' },
        { episode_num: 3, title: 'no id' },
      ],
    },
  });
  // no episodes: PHP's empty array
  catalog.seriesInfo.set(5, { seasons: [], info: [], episodes: [] });
  return catalog;
}

describe('the strings-versus-numbers table, entry by entry', () => {
  let server: TestServer;
  let xtream: FakeXtream;
  let token: string;
  let playlistId: string;

  beforeAll(async () => {
    xtream = await startFakeXtream();
    xtream.catalog = variantCatalog();
    server = await startTestServer();
    ({ token } = await server.newPerson());
    playlistId = await addAndSync(server, token, xtream);
  });
  afterAll(async () => {
    await server?.stop();
    await xtream?.stop();
  });

  it('syncs every readable entry and counts the unreadable ones', async () => {
    const synced = await playlist(server, token, playlistId);
    expect(synced).toMatchObject({ syncStatus: 'IDLE', liveCount: 2, vodCount: 4, seriesCount: 3, lastError: null });
    // 1 category + 5 live + 1 VOD + 1 series
    expect(synced.skippedCount).toBe(8);
  });

  it('reads categories from a list or a PHP keyed array, ids as strings', async () => {
    const live = (await server.gql(CATEGORIES, { section: 'LIVE' }, { token })).playlists[0]!.categories;
    expect(live.map((c) => [c.categoryId, c.name])).toEqual([['36', 'UK']]);
    const series = (await server.gql(CATEGORIES, { section: 'SERIES' }, { token })).playlists[0]!.categories;
    expect(series.map((c) => c.categoryId)).toEqual(['365']);
  });

  it('reads live ids, flags and dates as numbers or strings, null and "" as nothing', async () => {
    const edges = (await server.gql(LIVE_STREAMS, { playlistId }, { token })).liveStreams.edges.map((e) => e.node);
    expect(edges.map((n) => [n.streamId, n.name, n.epgChannelId, n.tvArchive, n.added])).toEqual([
      [36012, 'Radio Été', null, true, null],
      [36011, 'UK: BBC ONE (HD) (720p)', 'BBC1London.uk', false, '2017-06-24T17:00:01.000Z'],
    ]);
  });

  it('reads VOD ratings as "6.3", "", 7 or "7", and only plain extensions', async () => {
    const nodes = (await server.gql(VOD_STREAMS, { playlistId }, { token })).vodStreams.edges.map((e) => e.node);
    const byId = Object.fromEntries(nodes.map((n) => [n.streamId, n]));
    expect(byId[130529]).toMatchObject({ rating: 6.3, containerExtension: 'mp4', categoryId: '324', added: '2018-08-24T15:59:36.000Z' });
    expect(byId[130530]).toMatchObject({ rating: null, containerExtension: 'mkv' });
    expect(byId[130531]).toMatchObject({ rating: 7, containerExtension: 'mkv', added: '2018-08-24T15:59:38.000Z' });
    expect(byId[130532]).toMatchObject({ rating: 7, containerExtension: null, categoryId: null, added: null });
  });

  it('reads series with backdrops as a list, "" or null, category null, release date under either name', async () => {
    const nodes = (await server.gql(SERIES, { playlistId }, { token })).series.edges.map((e) => e.node);
    const byId = Object.fromEntries(nodes.map((n) => [n.seriesId, n]));
    expect(byId[3]).toMatchObject({ rating: 7, backdrops: ['http://liquidit.info:8080/images/4057_tv_backdrop_0.jpg'], lastModified: '2018-07-01T16:13:19.000Z', releaseDate: '2005-09-22', categoryId: '365' });
    expect(byId[4]).toMatchObject({ name: 'Élite', rating: null, backdrops: [], cast: null, categoryId: null, releaseDate: '2018-10-05', lastModified: '2018-07-01T16:13:20.000Z' });
    expect(byId[5]).toMatchObject({ backdrops: [] });
  });

  it('reads episodes keyed by season strings, info as [] and numbers as strings, on first open', async () => {
    const series = (await server.gql(SERIES, { playlistId, search: 'criminal' }, { token })).series.edges[0]!.node;
    const before = xtream.seen(/action=get_series_info/).length;
    const { seriesDetails } = await server.gql(SERIES_DETAILS, { id: series.id }, { token });
    expect(seriesDetails!.seasons).toEqual([{ seasonNumber: 1, name: 'Season 1', episodeCount: 22 }]);
    expect(seriesDetails!.episodes.map((e) => [e.episodeId, e.season, e.episodeNum, e.durationSecs])).toEqual([
      ['40211', 1, 1, 2580],
      ['40212', 1, 2, null],
      ['40301', 2, 1, 2652],
      ['40302', 2, 2, 2652],
    ]);
    expect(seriesDetails!.episodes[0]).toMatchObject({ plot: 'Pilot', added: '2018-07-01T16:13:19.000Z', containerExtension: 'mkv' });
    expect(seriesDetails!.episodes[0]!.url).toBe(`${xtream.url}/series/***/***/40211.mkv`);
    // kept: a second open asks the provider nothing
    await server.gql(SERIES_DETAILS, { id: series.id }, { token });
    expect(xtream.seen(/action=get_series_info/).length).toBe(before + 1);
  });

  it('reads a series without episodes ([] for episodes and info)', async () => {
    const series = (await server.gql(SERIES, { playlistId, search: 'no episodes' }, { token })).series.edges[0]!.node;
    const { seriesDetails } = await server.gql(SERIES_DETAILS, { id: series.id }, { token });
    expect(seriesDetails).toMatchObject({ seasons: [], episodes: [] });
    expect(seriesDetails!.detailsFetchedAt).not.toBeNull();
  });
});
